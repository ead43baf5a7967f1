/**
 * A Jest reporter that ends the run with one plain line, `N passed, N failed, N skipped`,
 * which CI reads as the test summary (Jest's own "Tests:" line is not in a form CI reads).
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\n${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
