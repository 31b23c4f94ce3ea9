package cli

// demoCommands are filled in by the command file that owns them.
var demoCommands = []command{}
