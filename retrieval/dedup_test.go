package retrieval

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestNearDuplicate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		dup  bool
	}{
		// Same fact, near-identical words (seeds 000 and 001).
		{"Currently, Russia controls about 20% of Ukraine’s territory, including parts of the Donbas region.",
			"Russia currently controls approximately one-fifth of Ukrainian territory, including parts of the Donbas region (Donetsk and Luhansk).", true},
		{"For context, these discussions are significant as they mark the sixth round of negotiations within two weeks, showing an ongoing effort to find a resolution.",
			"This marks the sixth round of discussions in a two-week period.", true},
		{"Kyiv and its allies believe that NATO membership could serve as a strong deterrent against future aggression from Russia.",
			"Kyiv and its European allies suggest that either NATO membership for Ukraine or comprehensive security guarantees would serve as an effective deterrent against future Russian aggression.", true},
		// Different figures are a disagreement, not a duplicate.
		{"Russia controls about 20% of Ukraine's territory, including parts of the Donbas region.",
			"Russia controls about 19.3% of Ukraine's territory, including parts of the Donbas region.", false},
		{"Russia and Ukraine agreed to exchange 1,200 prisoners of war before the Istanbul talks.",
			"Russia and Ukraine agreed to exchange 1200 prisoners of war ahead of the Istanbul talks.", true},
		// Same words, different events.
		{"US and Russian negotiators met in Miami to discuss the ongoing war in Ukraine.",
			"Negotiators from Ukraine and the United States are set to meet in Miami on March 15, 2024, following discussions between US special envoy Steve Witkoff and Russian President Vladimir Putin.", false},
		{"US Special Envoy Witkoff met with Russian President Vladimir Putin for approximately five hours earlier in the week.",
			"This meeting featured discussions between Russian President Vladimir Putin’s special envoy, Kirill Dmitriev, and US President Donald Trump’s special representatives, Steve Witkoff and Jared Kushner.", false},
		// Too short to judge.
		{"We would support it.", "We would support it.", false},
	}
	for _, tt := range tests {
		if got := NearDuplicate(tt.a, tt.b); got != tt.dup {
			t.Errorf("NearDuplicate = %v, want %v:\n  %s\n  %s", got, tt.dup, tt.a, tt.b)
		}
		if NearDuplicate(tt.b, tt.a) != NearDuplicate(tt.a, tt.b) {
			t.Errorf("not symmetric: %s", tt.a)
		}
	}
}

func TestDedupKeepsBestSourced(t *testing.T) {
	t.Parallel()
	shared1 := "Russia currently controls approximately one-fifth of Ukrainian territory, including parts of the Donbas region."
	shared2 := "Currently, Russia controls about 20% of Ukraine's territory, including parts of the Donbas region."
	other := "Putin warned Ukrainian troops to withdraw from the Donbas region this week."
	docs := map[string]Document{
		"undated": {ID: "undated", Title: "Derived…", TitleDerived: true},
		"dated":   {ID: "dated", Title: "Talks", Published: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Site: "Ledger"},
	}
	lookup := func(id string) (Document, bool) { d, ok := docs[id]; return d, ok }
	undatedP := Passage{ID: "undated#0", DocID: "undated", Sentences: []string{shared2, other}}
	hits := []Hit{
		{Passage: undatedP, Score: 2}, // ranked first, but worse sourced
		{Passage: Passage{ID: "dated#0", DocID: "dated", Sentences: []string{shared1}}, Score: 1},
		{Passage: Passage{ID: "undated#1", DocID: "undated", Sentences: []string{shared2}}, Score: 0.5},
	}
	got := Dedup(hits, lookup)
	var texts []string
	for _, h := range got {
		texts = append(texts, h.Passage.ID+": "+strings.Join(h.Passage.Sentences, " / "))
	}
	want := []string{"undated#0: " + other, "dated#0: " + shared1}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
	if len(undatedP.Sentences) != 2 || len(hits[0].Passage.Sentences) != 2 {
		t.Error("Dedup changed the caller's passage in place")
	}
	// Between equally sourced articles the higher-ranked hit keeps it.
	docs["dated"] = docs["undated"]
	got = Dedup(hits, lookup)
	if len(got) != 2 || got[0].Passage.ID != "undated#0" || got[1].Passage.ID != "undated#1" {
		t.Errorf("tie kept the lower-ranked copy: %+v", got)
	}
}

// A question answered by both 000 and 001 in near-identical sentences: both
// reach the retriever's list, but the answer's evidence states it once,
// from 001 (which has a headline; 000's title is derived), while both
// articles stay in the index.
func TestSearchStatesSharedFactOnce(t *testing.T) {
	t.Parallel()
	ix := openSeeds(t, "", nil)
	ctx := context.Background()
	tests := []struct {
		q        string
		marker00 string // the 000 sentence
		marker01 string // the 001 sentence
	}{
		{"How many rounds of talks were held in two weeks?", "sixth round of negotiations within two weeks", "sixth round of discussions in a two-week period"},
		{"How much of Ukraine does Russia control?", "about 20% of Ukraine", "approximately one-fifth of Ukrainian territory"},
		{"Do Kyiv and its allies see NATO membership as a deterrent?", "strong deterrent against future aggression", "effective deterrent against future Russian aggression"},
	}
	count := func(r Result, s string) int {
		n := 0
		seen := map[string]bool{}
		for _, h := range r.Hits {
			for _, x := range h.Passage.Sentences {
				if strings.Contains(x, s) && !seen[x] {
					seen[x] = true
					n++
				}
			}
		}
		return n
	}
	for _, tt := range tests {
		all, err := ix.Search(ctx, tt.q, SearchOptions{KeepDuplicates: true})
		if err != nil {
			t.Fatal(err)
		}
		if count(all, tt.marker00) != 1 || count(all, tt.marker01) != 1 {
			t.Fatalf("%q: precondition: both articles' sentences should be retrieved", tt.q)
		}
		r, err := ix.Search(ctx, tt.q, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if count(r, tt.marker00) != 0 || count(r, tt.marker01) != 1 {
			t.Errorf("%q: 000 sentence %d times, 001 sentence %d times; want 0 and 1", tt.q, count(r, tt.marker00), count(r, tt.marker01))
		}
	}
	if d, _ := ix.Document("000_c42f37b296db4cc9"); !strings.Contains(d.Text, "about 20% of Ukraine") {
		t.Error("dedup changed the stored article")
	}
	if n := len(ix.Sources()); n != 5 {
		t.Errorf("sources lists %d articles, want all 5", n)
	}
}

func TestRecencyQuestionsPreferNewerArticles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ix := openSeeds(t, "", nil)
	if _, err := ix.Ingest(ctx, []string{copyFixtures(t)}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	// Both fixtures are newer than the (undated) seeds; Istanbul (19 Dec)
	// is newer than Geneva (16 Dec). "peace talks": only Geneva's text
	// speaks of peace, so it is the newest article on that topic.
	tests := []struct{ q, want string }{
		{"What is the latest news about Umerov?", "istanbul-prisoner-exchange"},
		{"What are the most recent developments in the negotiations?", "istanbul-prisoner-exchange"},
		{"What is the latest on the peace talks?", "geneva-working-groups"},
	}
	for _, tt := range tests {
		r, doc := topDoc(t, ix, tt.q)
		if doc != tt.want {
			t.Errorf("%q: top article %q, want the newest on the topic, %q", tt.q, doc, tt.want)
		}
		if r.Weak {
			t.Errorf("%q: weak evidence: 'latest' counted as a topic", tt.q)
		}
		if r.Hits[0].Published.IsZero() {
			t.Errorf("%q: hit lacks its date", tt.q)
		}
	}
	// Without "latest", topic decides: the Geneva question goes to Geneva.
	if _, doc := topDoc(t, ix, "What did Peskov say about the revised document?"); doc != "geneva-working-groups" {
		t.Errorf("topic question went to %q", doc)
	}
	if !IsRecencyQuery("What's the most recent news?") || IsRecencyQuery("How long did Witkoff meet Putin?") {
		t.Error("IsRecencyQuery")
	}
}
