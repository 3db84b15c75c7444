// Package seeds embeds the default corpus: news articles on the
// Ukraine–US–Russia peace talks, byte for byte as published to the project.
package seeds

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"github.com/talkbot/talkbot/retrieval"
)

//go:embed *.txt
var files embed.FS

// FS exposes the raw article files.
func FS() fs.FS { return files }

// Documents parses the embedded articles.
func Documents() ([]retrieval.Document, error) {
	names, err := fs.Glob(files, "*.txt")
	if err != nil {
		return nil, fmt.Errorf("listing seeds: %w", err)
	}
	sort.Strings(names)
	docs := make([]retrieval.Document, 0, len(names))
	for _, n := range names {
		raw, err := files.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("reading seed %s: %w", n, err)
		}
		d, err := retrieval.ParseText(retrieval.IDFromPath(n), raw)
		if err != nil {
			return nil, fmt.Errorf("seed %s: %w", n, err)
		}
		docs = append(docs, d)
	}
	return docs, nil
}
