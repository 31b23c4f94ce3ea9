package cli

// snapshotCommands are filled in by the command file that owns them.
var snapshotCommands = []command{}
