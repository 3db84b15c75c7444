package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Question log settings (issue 12), kept together so they merge as one block.
const (
	// EnvQuestionLog is on (default) or off; off writes nothing at all.
	EnvQuestionLog = "TALKBOT_QUESTION_LOG"
	// EnvLogRetention is how long logged questions are kept, e.g. 90d or 720h.
	EnvLogRetention = "TALKBOT_LOG_RETENTION"
)

// DefaultLogRetention keeps logged questions for 90 days.
const DefaultLogRetention = 90 * 24 * time.Hour

// loadQuestionLog reads the question log settings into c.
func loadQuestionLog(getenv func(string) string, c *Config, errs *[]error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv(EnvQuestionLog))); v {
	case "", "on", "true", "1", "yes":
		c.QuestionLog = true
	case "off", "false", "0", "no":
		c.QuestionLog = false
	default:
		*errs = append(*errs, fmt.Errorf("%s: %q is neither on nor off", EnvQuestionLog, v))
	}
	c.LogRetention = DefaultLogRetention
	if v := strings.TrimSpace(getenv(EnvLogRetention)); v != "" {
		d, err := ParseAge(v)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %w", EnvLogRetention, err))
		} else {
			c.LogRetention = d
		}
	}
}

// ParseAge reads a positive length of time in days ("90d") or as Go
// durations ("36h", "90m"), for settings people think of in days.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		if err == nil && days > 0 && days <= 36500 {
			return time.Duration(days * float64(24*time.Hour)), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("%q is not a positive length of time such as 7d, 90d or 36h", s)
}
