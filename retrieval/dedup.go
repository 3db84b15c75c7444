package retrieval

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Near-duplicate detection. Articles that report the same event often share
// sentences in near-identical words (the seeds 000 and 001 do: "about 20% of
// Ukraine's territory" / "approximately one-fifth of Ukrainian territory").
// An answer should state such a fact once, citing the best-sourced article,
// while both articles stay in the index and in `sources`.
//
// Two sentences are near-duplicates when their sets of analysed terms
// (stems, stop words removed) overlap strongly — Jaccard at least
// dupJaccard, or one almost contained in the other (dupContainment) with
// Jaccard at least dupJaccardContained — and they do not state different
// figures. Thresholds were set on every cross-article sentence pair of the
// seeds: the same-fact pairs score J 0.38–0.60 with containment 0.82–0.90;
// the closest different-fact pair ("met in Miami" vs "set to meet in
// Miami") scores J 0.30, containment 0.78.
const (
	dupJaccard          = 0.45
	dupContainment      = 0.8
	dupJaccardContained = 0.35
	// dupMinTerms: shorter sentences ("We would support it.") share too
	// few words to judge.
	dupMinTerms = 4
)

// sentenceSig is what near-duplicate detection compares.
type sentenceSig struct {
	terms   []string // distinct, sorted: intersections are a merge
	figures map[string]bool
}

func signature(s string) sentenceSig {
	sig := sentenceSig{terms: Analyze(s), figures: map[string]bool{}}
	sort.Strings(sig.terms)
	sig.terms = slices.Compact(sig.terms)
	for _, f := range normalizedFigures(s) {
		sig.figures[f] = true
	}
	return sig
}

// NearDuplicate reports whether two sentences state the same thing in
// near-identical words. Sentences with different figures are never
// near-duplicates: "19.3%" against "20%" is a disagreement to show, while
// "20%" and "one-fifth" are the same figure.
func NearDuplicate(a, b string) bool { return similarSig(signature(a), signature(b)) }

func similarSig(a, b sentenceSig) bool {
	na, nb := len(a.terms), len(b.terms)
	// Jaccard is at most the size ratio: skip pairs that cannot qualify.
	if na < dupMinTerms || nb < dupMinTerms || float64(min(na, nb)) < dupJaccardContained*float64(max(na, nb)) {
		return false
	}
	if len(a.figures) > 0 && len(b.figures) > 0 && !intersects(a.figures, b.figures) {
		return false
	}
	in := 0
	for i, k := 0, 0; i < na && k < nb; {
		switch {
		case a.terms[i] == b.terms[k]:
			in++
			i++
			k++
		case a.terms[i] < b.terms[k]:
			i++
		default:
			k++
		}
	}
	j := float64(in) / float64(na+nb-in)
	c := float64(in) / float64(min(na, nb))
	return j >= dupJaccard || c >= dupContainment && j >= dupJaccardContained
}

func intersects(a, b map[string]bool) bool {
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

var (
	reNumber   = regexp.MustCompile(`\d+(?:[.,]\d+)*`)
	reFraction = regexp.MustCompile(`(?i)\b(?:one|a)[- ](half|third|quarter|fifth|sixth|tenth)\b|\btwo[- ]thirds\b|\bthree[- ]quarters\b`)
)

// fractionPercent maps fraction words to the percentage they stand for.
func fractionPercent(w string) string {
	switch strings.ToLower(strings.NewReplacer("-", " ", "a ", "one ").Replace(w)) {
	case "one half":
		return "50"
	case "one third":
		return "33"
	case "one quarter":
		return "25"
	case "one fifth":
		return "20"
	case "one sixth":
		return "17"
	case "one tenth":
		return "10"
	case "two thirds":
		return "67"
	case "three quarters":
		return "75"
	}
	return ""
}

// normalizedFigures lists a sentence's numbers, with fractions written as
// percentages and thousands separators dropped, so equal figures compare
// equal however they are written.
func normalizedFigures(s string) []string {
	var out []string
	for _, m := range reFraction.FindAllString(s, -1) {
		if p := fractionPercent(m); p != "" {
			out = append(out, p)
		}
	}
	for _, n := range reNumber.FindAllString(s, -1) {
		n = strings.ReplaceAll(n, ",", "")
		if strings.Contains(n, ".") {
			n = strings.TrimRight(strings.TrimRight(n, "0"), ".")
		}
		out = append(out, n)
	}
	return out
}

// sourceQuality ranks how well an article is sourced: a publication date,
// a real headline and a named publisher each make its version of a shared
// fact the better one to cite.
func sourceQuality(d Document) int {
	q := 0
	if !d.Published.IsZero() {
		q += 4
	}
	if !d.TitleDerived && d.Title != "" {
		q += 2
	}
	if d.Site != "" {
		q++
	}
	return q
}

// Dedup removes, from hits ranked best first, the sentences that repeat a
// sentence of another article among the hits in near-identical words. Of
// each such group the best-sourced article keeps the sentence (see
// sourceQuality); between equals, the higher-ranked hit. A hit left with no
// sentences is dropped. Sentences repeated within one article (passages
// overlap) are left alone. Passages are copied, never changed in place.
// docs gives each passage's article; a missing one counts as unsourced.
func Dedup(hits []Hit, docs func(id string) (Document, bool)) []Hit {
	return dedup(hits, docs, signature)
}

// cachedSignature is signature, remembered per sentence: searches meet the
// same sentences again and again, and stemming them is most of Dedup's cost.
func (ix *Index) cachedSignature(s string) sentenceSig {
	if v, ok := ix.sigs.Load(s); ok {
		return v.(sentenceSig)
	}
	sig := signature(s)
	ix.sigs.Store(s, sig)
	return sig
}

func dedup(hits []Hit, docs func(id string) (Document, bool), signature func(string) sentenceSig) []Hit {
	type node struct {
		hit, sent, quality int
		doc                string
		sig                sentenceSig
	}
	var nodes []node
	for i, h := range hits {
		q := 0
		if d, ok := docs(h.Passage.DocID); ok {
			q = sourceQuality(d)
		}
		for k, s := range h.Passage.Sentences {
			nodes = append(nodes, node{hit: i, sent: k, quality: q, doc: h.Passage.DocID, sig: signature(s)})
		}
	}
	order := make([]int, len(nodes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		na, nb := nodes[order[a]], nodes[order[b]]
		if na.quality != nb.quality {
			return na.quality > nb.quality
		}
		return na.hit < nb.hit
	})
	drop := map[[2]int]bool{}
	var kept []node
	for _, i := range order {
		n := nodes[i]
		dup := false
		for _, k := range kept {
			if k.doc != n.doc && similarSig(k.sig, n.sig) {
				dup = true
				break
			}
		}
		if dup {
			drop[[2]int{n.hit, n.sent}] = true
		} else {
			kept = append(kept, n)
		}
	}
	if len(drop) == 0 {
		return hits
	}
	out := make([]Hit, 0, len(hits))
	for i, h := range hits {
		var ss []string
		for k, s := range h.Passage.Sentences {
			if !drop[[2]int{i, k}] {
				ss = append(ss, s)
			}
		}
		if len(ss) == 0 {
			continue
		}
		if len(ss) < len(h.Passage.Sentences) {
			h.Passage.Sentences = ss // a new slice: the index's passage is untouched
		}
		out = append(out, h)
	}
	return out
}

// reRecency marks a question about the newest developments.
var reRecency = regexp.MustCompile(`(?i)\b(latest|newest|most recent|most recently|recent|recently|up to date|up-to-date)\b`)

// reRecencyFiller are the words that phrase a recency question without
// naming its topic ("the latest news", "recent developments").
var reRecencyFiller = regexp.MustCompile(`(?i)\b(latest|newest|most|recent|recently|up[- ]to[- ]date|news|updates?|developments?|happen(s|ed|ing)?)\b`)

// IsRecencyQuery reports whether a question asks for the newest news
// ("What is the latest on the talks?").
func IsRecencyQuery(q string) bool { return reRecency.MatchString(q) }

// StripRecency removes the words that make a question about recency, so
// that "latest" or "developments" do not count as a topic the articles
// must contain.
func StripRecency(q string) string {
	return strings.Join(strings.Fields(reRecencyFiller.ReplaceAllString(q, " ")), " ")
}

// preferRecent orders hits for a recency question: among the hits on the
// topic, dated articles come first, newest first; everything else follows
// in fused order. "On the topic" is relative — at least half the coverage
// of the question's topic terms that the best hit has — because a new
// article reports a new turn in other words than the old ones ("prisoner
// exchange", not "peace plan"), yet an article off the topic must never
// rise because it is new. Only the first 50 hits are considered. The
// reordered hits' scores encode the new order (see below), so they are no
// longer RRF sums.
func preferRecent(hits []Hit, terms []Term, published func(docID string) time.Time) []Hit {
	n := min(len(hits), 50)
	type key struct {
		onTopic bool
		t       time.Time
	}
	keys := make([]key, n)
	covs := make([]float64, n)
	best := 0.0
	for i := range hits[:n] {
		covs[i] = coverage(terms, Analyze(hits[i].Passage.EmbedText()))
		best = max(best, covs[i])
	}
	any := false
	for i := range hits[:n] {
		if t := published(hits[i].Passage.DocID); !t.IsZero() && covs[i] > 0 && covs[i] >= best/2 {
			keys[i] = key{true, t}
			any = true
		}
	}
	if !any {
		return hits
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]], keys[idx[b]]
		if ka.onTopic != kb.onTopic {
			return ka.onTopic
		}
		return ka.onTopic && ka.t.After(kb.t)
	})
	out := make([]Hit, 0, len(hits))
	block := 0
	for _, i := range idx {
		if keys[i].onTopic {
			block++
		}
	}
	for k, i := range idx {
		h := hits[i]
		if keys[i].onTopic {
			// Above any RRF sum (at most 2/61), in recency order, so the
			// later re-sorts by score keep it.
			h.Score = 1 + float64(block-k)
		}
		out = append(out, h)
	}
	return append(out, hits[n:]...)
}
