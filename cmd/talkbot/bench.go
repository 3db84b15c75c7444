package main

import "context"

// cmdBench is replaced by the work on its issue.
func cmdBench(ctx context.Context, e *env, args []string) error {
	return usagef("bench is not available in this build yet")
}
