package retrieval

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestSplitSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"One sentence. Another one!", []string{"One sentence.", "Another one!"}},
		{"Ukraine and the U.S. recently met. Then talks ended.", []string{"Ukraine and the U.S. recently met.", "Then talks ended."}},
		{"Russia controls about 19.3% of Ukraine. Officials disagree.", []string{"Russia controls about 19.3% of Ukraine.", "Officials disagree."}},
		{`He said "no compromise." The Kremlin agreed.`, []string{`He said "no compromise."`, "The Kremlin agreed."}},
		{"“We will continue,” he said. “Good.”", []string{"“We will continue,” he said.", "“Good.”"}},
		{"Mr. Witkoff met Dr. Smith. Why? Nobody knows", []string{"Mr. Witkoff met Dr. Smith.", "Why?", "Nobody knows"}},
		{"No terminator at all", []string{"No terminator at all"}},
		{"", nil},
	}
	for _, tt := range tests {
		got := SplitSentences(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitSentences(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// Every sentence of every passage is exact text of its source file, so a
// citation's quote can be found verbatim in the article.
func TestChunkSeedsQuotesAreExactAndSized(t *testing.T) {
	t.Parallel()
	o := DefaultChunkOptions()
	for _, d := range seedDocs(t) {
		raw := readSeed(t, d.ID)
		ps := Chunk(d, o)
		if len(ps) == 0 {
			t.Fatalf("%s: no passages", d.ID)
		}
		covered := map[string]bool{}
		for i, p := range ps {
			if p.DocID != d.ID || p.Index != i || p.ID != d.ID+"#"+strconv.Itoa(i) || p.Title != d.Title {
				t.Errorf("%s: passage %d has wrong identity %+v", d.ID, i, p)
			}
			n := len(strings.Fields(p.Text()))
			if n > o.MaxWords {
				t.Errorf("%s#%d: %d words, above max %d", d.ID, i, n, o.MaxWords)
			}
			if n < o.MinWords/2 && len(ps) > 1 {
				t.Errorf("%s#%d: only %d words", d.ID, i, n)
			}
			for _, s := range p.Sentences {
				if !strings.Contains(raw, s) {
					t.Errorf("%s#%d: sentence is not exact source text: %q", d.ID, i, s)
				}
				covered[s] = true
			}
		}
		// Nothing of the body is lost between passages.
		for _, para := range strings.Split(d.Text, "\n\n") {
			if isSectionHeading(para) {
				continue
			}
			for _, s := range SplitSentences(strings.TrimPrefix(para, "- ")) {
				if !covered[s] {
					t.Errorf("%s: sentence in no passage: %q", d.ID, s)
				}
			}
		}
	}
}

func TestChunkOverlapAndBullets(t *testing.T) {
	t.Parallel()
	var para []string
	for i := range 30 {
		para = append(para, "Sentence number "+strconv.Itoa(i)+" has exactly eight words here.")
	}
	doc := Document{ID: "d", Title: "T", Text: strings.Join(para, " ") + "\n\nSummary\n\n- First bullet point without a period\n\n- Second bullet point"}
	ps := Chunk(doc, ChunkOptions{MinWords: 20, TargetWords: 40, MaxWords: 60, Overlap: 1})
	if len(ps) < 3 {
		t.Fatalf("want several passages, got %d", len(ps))
	}
	for i := 1; i < len(ps)-1; i++ {
		prev := ps[i-1].Sentences
		if ps[i].Sentences[0] != prev[len(prev)-1] {
			t.Errorf("passage %d does not start with the previous one's last sentence", i)
		}
	}
	last := ps[len(ps)-1]
	if last.Heading != "Summary" || !containsString(last.Sentences, "First bullet point without a period") ||
		!containsString(last.Sentences, "Second bullet point") {
		t.Errorf("bullets should be quotable units under their heading, got %+v", last)
	}
	if strings.Contains(last.Text(), "- ") {
		t.Errorf("bullet markers should not be part of quotes: %q", last.Text())
	}
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"How long did Witkoff meet Putin?", []string{"witkoff", "meet", "putin"}},
		{"Witkoff met Putin", []string{"witkoff", "meet", "putin"}},
		{"Ukraine’s negotiators", []string{"ukrain", "negoti"}},
		{"about 19.3% of Ukrainian territory", []string{"19.3", "ukrain", "territori"}},
		{"a five-hour session", []string{"five", "hour", "session"}},
		{"Zelenskyy and Zelensky", []string{"zelenski", "zelenski"}},
		{"the of and", []string{}},
		{"US officials", []string{"us", "offici"}},
		{"the European Union and the United States", []string{"eu", "us"}},
	}
	for _, tt := range tests {
		got := Analyze(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Analyze(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
