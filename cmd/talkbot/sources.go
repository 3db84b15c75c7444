package main

import (
	"context"
	"fmt"
	"text/tabwriter"
)

func cmdSources(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("sources", "sources [--json]")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if helped, err := parseNoArgs(fs, args, "sources takes no arguments"); helped || err != nil {
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	st, err := e.openStack(ctx, cfg, stackOptions{offline: true})
	if err != nil {
		return err
	}
	defer st.Close()
	srcs := st.index.Sources()
	if *asJSON {
		return writeJSON(e.stdout, srcs)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPUBLISHED\tSITE\tWORDS\tPASSAGES\tTITLE")
	for _, s := range srcs {
		pub := "-"
		if !s.Published.IsZero() {
			pub = s.Published.Format("2006-01-02")
		}
		title := oneLine(s.Title)
		if s.TitleDerived {
			title += " (title derived)"
		}
		site := oneLine(s.Site)
		if site == "" {
			site = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", s.ID, pub, site, s.Words, s.Passages, title)
	}
	return tw.Flush()
}
