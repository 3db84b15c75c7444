package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/talkbot/talkbot/answer"
)

func cmdAsk(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("ask", `ask [--json] [--offline] "question"`)
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	offline := fs.Bool("offline", false, "answer extractively even when an LLM is configured")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	q := strings.Join(pos, " ")
	if _, err := answer.Normalize(q); err != nil {
		return jsonUsageError(e, *asJSON, q, usagef("ask: %v", err))
	}
	cfg, err := e.config()
	if err != nil {
		return jsonUsageError(e, *asJSON, q, err)
	}
	st, err := e.openStack(ctx, cfg, stackOptions{offline: *offline})
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := st.engine.Ask(ctx, answer.Request{Question: q})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, a)
	}
	renderText(e.stdout, a)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// renderText prints an answer for a terminal: the text, then its sources.
func renderText(w io.Writer, a answer.Answer) {
	fmt.Fprintln(w, a.Text)
	if a.Note != "" {
		fmt.Fprintf(w, "\n(%s)\n", a.Note)
	}
	if len(a.Citations) == 0 {
		return
	}
	fmt.Fprintln(w, "\nSources:")
	for _, c := range a.Citations {
		fmt.Fprintf(w, "[%d] %s (%s)\n    “%s”\n", c.N, c.Title, c.Doc, c.Quote)
	}
}
