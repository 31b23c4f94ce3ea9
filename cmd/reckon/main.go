// Command reckon keeps the books on long-running operations. See the README
// for the commands; `reckon help` lists them.
package main

import (
	"os"

	"github.com/reckonhq/reckon/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
