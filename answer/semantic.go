package answer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/talkbot/talkbot/retrieval"
)

// The semantic signal: with a semantic embedding model configured
// (TALKBOT_EMBED_MODEL), the citation check may keep a claim whose words
// fall just short of SupportThreshold when the model finds it says what its
// best evidence sentence says. It is one more signal, never the judge of
// checkable facts: a claim with a conflict (negation, speaker, place,
// figure, quotation) or an invented name is never kept by it.
const (
	// DefaultSemanticBar is the cosine similarity between a claim and its
	// best evidence sentence above which a near miss is kept. Measured by
	// TestSemanticBarSeparates on testdata/citations.json (26 claims, 148
	// claim/passage pairs) with an offline WordNet-weighted test embedding:
	// no wrong citation's best sentence reaches 0.47 (median 0.07), so any
	// bar from 0.5 up admits none of the 7 wrong near misses, while the
	// correct citations' median is 0.47. The same embedding puts three true
	// near-miss paraphrases at only 0.18-0.25, i.e. word-level vectors
	// cannot tell them from wrong ones: the signal is only worth having
	// from a real sentence-embedding model, whose paraphrase pairs
	// typically score 0.85 and more while same-topic sentences stating a
	// different fact commonly reach 0.6-0.8. 0.85 keeps that margin; it is
	// not measured on a real model (none runs offline here), which
	// SemanticOptions.Bar lets a deployment retune.
	DefaultSemanticBar = 0.85
	// DefaultSemanticMargin is how far under SupportThreshold a claim's
	// lexical support may be for the semantic signal to count at all: a
	// claim sharing little with its passage is not rescued by a vector.
	DefaultSemanticMargin = 0.1
	// DefaultSemanticTimeout bounds the embedding call of one answer; the
	// answer's own deadline bounds it too. The signal is optional, so a
	// slow embedding server costs at most this much.
	DefaultSemanticTimeout = 3 * time.Second
)

// SemanticOptions tune the semantic signal; zero values are defaults.
type SemanticOptions struct {
	// Bar is the cosine similarity a near miss needs (DefaultSemanticBar).
	Bar float64
	// Margin is how far under SupportThreshold the signal may reach
	// (DefaultSemanticMargin).
	Margin float64
	// Timeout bounds the one embedding call per answer
	// (DefaultSemanticTimeout).
	Timeout time.Duration
}

// semanticConfig is an LLM's semantic embedder and its options.
type semanticConfig struct {
	emb         retrieval.Embedder
	bar, margin float64
	timeout     time.Duration
}

// WithSemantic makes emb's similarity one more signal of the citation
// check. A lexical embedder (the offline hash embedder) adds nothing the
// word match does not already see, so it is ignored. It returns l, for
// chaining at construction.
func (l *LLM) WithSemantic(emb retrieval.Embedder, o SemanticOptions) *LLM {
	if emb == nil || isLexicalEmbedder(emb) {
		l.sem = nil
		return l
	}
	if o.Bar <= 0 {
		o.Bar = DefaultSemanticBar
	}
	if o.Margin <= 0 {
		o.Margin = DefaultSemanticMargin
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultSemanticTimeout
	}
	l.sem = &semanticConfig{emb: emb, bar: o.Bar, margin: o.Margin, timeout: o.Timeout}
	return l
}

// isLexicalEmbedder reports whether emb is the offline hash embedder.
func isLexicalEmbedder(emb retrieval.Embedder) bool {
	switch emb.(type) {
	case retrieval.HashEmbedder, *retrieval.HashEmbedder:
		return true
	}
	return strings.HasPrefix(emb.Name(), "hash-")
}

// supporter is the support model for one reply: the shared one, with the
// semantic signal of this reply's claims and passages when an embedder is
// configured and answers in time. Failure only means no signal.
func (l *LLM) supporter(ctx context.Context, reply string, hits []retrieval.Hit) *Supporter {
	sp := defaultSupporter()
	if l.sem == nil || len(hits) == 0 {
		return sp
	}
	start := time.Now()
	sig, err := l.sem.signal(ctx, reply, hits)
	if err != nil {
		l.log.Debug("semantic similarity unavailable; citations judged by words alone",
			"embedder", l.sem.emb.Name(), "took", time.Since(start), "err", err)
		return sp
	}
	withSig := *sp
	withSig.sem = sig
	return &withSig
}

// semanticSignal holds the vectors of one reply's claims and passage
// sentences, by text.
type semanticSignal struct {
	vecs        map[string][]float32
	bar, margin float64
}

// signal embeds every passage sentence and every claim of reply in one
// batched call, bounded by ctx and the configured timeout.
func (c *semanticConfig) signal(ctx context.Context, reply string, hits []retrieval.Hit) (*semanticSignal, error) {
	var texts []string
	seen := map[string]bool{}
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !seen[s] {
			seen[s] = true
			texts = append(texts, s)
		}
	}
	for _, h := range hits {
		for _, s := range h.Passage.Sentences {
			add(s)
		}
	}
	// The claims exactly as the check will see them: per clause.
	for _, l := range replyLines(stripTrailers(reply)) {
		for _, s := range l.sentences {
			for _, sg := range segments(s) {
				add(sg.text)
			}
		}
	}
	timeout := c.timeout
	if dl, ok := ctx.Deadline(); ok {
		// Half of what is left at most: the answer must still be
		// checked and sent within its deadline.
		timeout = min(timeout, time.Until(dl)/2)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	vs, err := c.emb.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embedding %d texts: %w", len(texts), err)
	}
	if len(vs) != len(texts) {
		return nil, fmt.Errorf("embedder returned %d vectors for %d texts", len(vs), len(texts))
	}
	sig := &semanticSignal{vecs: make(map[string][]float32, len(texts)), bar: c.bar, margin: c.margin}
	for i, t := range texts {
		sig.vecs[t] = vs[i]
	}
	if len(sig.vecs) == 0 {
		return nil, errors.New("nothing to embed")
	}
	return sig, nil
}

// supports reports whether the semantic signal keeps a claim the words
// alone leave just short: lexical support within the margin of
// SupportThreshold, nothing checkable contradicted or missing, and the
// claim close in meaning to its best evidence sentence among the passages
// pis (in the order judgeAgainst was given them). Nil-safe: no signal,
// no support.
func (s *semanticSignal) supports(e *evidence, claim *text, v verdict, pis []int) bool {
	if s == nil || v.conflict != "" || v.missing != "" || v.best < 0 || v.score < SupportThreshold-s.margin {
		return false
	}
	best, ok := e.sentenceAt(pis, v.best)
	if !ok {
		return false
	}
	a, b := s.vecs[strings.TrimSpace(claim.raw)], s.vecs[strings.TrimSpace(best)]
	return a != nil && b != nil && cosine(a, b) >= s.bar
}

// sentenceAt maps an index into the evidence of passages pis (their
// sentences in order, as judgeAgainst lists them) to the sentence text.
func (e *evidence) sentenceAt(pis []int, i int) (string, bool) {
	if i < 0 {
		return "", false
	}
	for _, pi := range pis {
		if pi < 0 || pi >= len(e.hits) {
			return "", false
		}
		ss := e.hits[pi].Passage.Sentences
		if i < len(ss) {
			return ss[i], true
		}
		i -= len(ss)
	}
	return "", false
}

// cosine is the cosine similarity of a and b (0 when either is zero or
// their lengths differ): an Embedder need not return unit vectors.
func cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// SemanticModel names the embedder whose similarity the citation check
// uses, "" when none: for start-up logs and tests of the wiring.
func (l *LLM) SemanticModel() string {
	if l.sem == nil {
		return ""
	}
	return l.sem.emb.Name()
}
