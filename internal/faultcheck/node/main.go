// Command node is reckon as the fault test runs it: the reckon command with
// the compose job slowed down by FAULTCHECK_COMPOSE_DELAY (a Go duration),
// so that the test finds runs in flight whenever it kills a node.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/reckonhq/reckon/cli"
)

func main() {
	var seams cli.Seams
	if v := os.Getenv("FAULTCHECK_COMPOSE_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "node: FAULTCHECK_COMPOSE_DELAY=%q: %v\n", v, err)
			os.Exit(2)
		}
		seams.ComposeDelay = d
	}
	os.Exit(cli.MainWith(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, seams))
}
