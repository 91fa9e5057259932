//go:build !shdmc_faulty_dispatcher

package notify

// faulty returns the send stage unchanged. Built with the tag
// shdmc_faulty_dispatcher, it returns one that loses and repeats notices,
// to prove that the crash test notices (fault_on.go).
func faulty(s Stage) Stage { return s }
