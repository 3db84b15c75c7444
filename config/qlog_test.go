package config

import (
	"strings"
	"testing"
	"time"
)

func TestQuestionLogSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		env       map[string]string
		on        bool
		retention time.Duration
		errHas    string
	}{
		{"on for 90 days by default", nil, true, 90 * 24 * time.Hour, ""},
		{"off", map[string]string{EnvQuestionLog: "off"}, false, 90 * 24 * time.Hour, ""},
		{"on, any case", map[string]string{EnvQuestionLog: " ON "}, true, 90 * 24 * time.Hour, ""},
		{"retention in days", map[string]string{EnvLogRetention: "30d"}, true, 30 * 24 * time.Hour, ""},
		{"retention in hours", map[string]string{EnvLogRetention: "36h"}, true, 36 * time.Hour, ""},
		{"a typo names the variable", map[string]string{EnvQuestionLog: "of"}, true, 0, EnvQuestionLog},
		{"a bad retention names the variable", map[string]string{EnvLogRetention: "forever"}, true, 0, EnvLogRetention},
		{"no zero retention", map[string]string{EnvLogRetention: "0d"}, true, 0, EnvLogRetention},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string { return tc.env[k] })
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("err = %v, want one naming %s", err, tc.errHas)
				}
				return
			}
			if err != nil || c.QuestionLog != tc.on || c.LogRetention != tc.retention {
				t.Errorf("QuestionLog = %v, LogRetention = %v, err = %v; want %v, %v", c.QuestionLog, c.LogRetention, err, tc.on, tc.retention)
			}
		})
	}
}
