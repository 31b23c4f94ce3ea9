package cli

// reconcileCommands are filled in by the command file that owns them.
var reconcileCommands = []command{}
