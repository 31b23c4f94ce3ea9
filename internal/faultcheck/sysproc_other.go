//go:build unix && !linux

package main

import "syscall"

// childAttr puts a child in its own process group, so that a terminal's
// Ctrl-C reaches only the test, which then stops the children itself.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
