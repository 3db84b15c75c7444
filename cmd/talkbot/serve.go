package main

import "context"

// cmdServe is replaced by the work on its issue.
func cmdServe(ctx context.Context, e *env, args []string) error {
	return usagef("serve is not available in this build yet")
}
