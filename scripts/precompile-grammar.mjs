console.log("no grammar yet")
