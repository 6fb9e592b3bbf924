//go:build !linux

package devserver

import "syscall"

// childAttr: other systems have no parent-death signal; Stop (deferred by
// every caller) is what ends the child there.
func childAttr() *syscall.SysProcAttr { return nil }
