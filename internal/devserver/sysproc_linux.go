package devserver

import "syscall"

// childAttr makes the dev server die with rencana: the kernel sends it
// SIGKILL when its parent goes (even by SIGKILL, when no deferred Stop
// runs), and it has its own process group, so a terminal's Ctrl-C reaches
// rencana, which stops the child in order.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
