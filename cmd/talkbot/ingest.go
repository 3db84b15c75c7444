package main

import "context"

// cmdIngest is replaced by the work on its issue.
func cmdIngest(ctx context.Context, e *env, args []string) error {
	return usagef("ingest is not available in this build yet")
}
