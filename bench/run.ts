console.log("bench placeholder")
