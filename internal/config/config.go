// Package config reads Huhang's settings from flags and environment
// variables into one typed struct. Every flag has an HUHANG_* variable; a
// secret may also come from a file named by the variable with a _FILE
// suffix (HUHANG_ADMIN_PASSWORD_FILE), as container secrets are mounted.
package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting the binary knows.
type Config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	KeyFile         string
	Crypto          string // "aes" (AES-256-GCM + SHA-256) or "sm" (SM4-GCM + SM3)
	AdminPassword   string
	RequireMFA      bool
	InsecureCookies bool
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	LogLevel        string
	Demo            bool
	DemoSeed        uint64
	DemoScale       float64
	// Alerts and their channels.
	WebhookURL    string
	WebhookSecret string
	SMSLog        bool
	AckCritical   time.Duration // acknowledge a critical-answer alert within
	AckRed        time.Duration // a red-tier alert within
	AckOrangeDays int           // an orange-tier alert within this many school days
}

// Register adds the common flags to fs, with defaults from the
// environment.
func (c *Config) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", env("HUHANG_ADDR", "127.0.0.1:8080"), "listen address HOST:PORT (HUHANG_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("HUHANG_DATA", "./huhang-data"), "data directory for SQLite and the key file (HUHANG_DATA)")
	fs.StringVar(&c.DatabaseURL, "database-url", secret("HUHANG_DATABASE_URL"), "PostgreSQL URL postgres://…; empty uses SQLite (HUHANG_DATABASE_URL)")
	fs.StringVar(&c.KeyFile, "key-file", env("HUHANG_KEY_FILE", ""), "field-encryption key file; default <data>/huhang.key (HUHANG_KEY_FILE)")
	fs.StringVar(&c.Crypto, "crypto", env("HUHANG_CRYPTO", "aes"), "cipher suite for new data: aes (AES-256-GCM, SHA-256) or sm (SM4-GCM, SM3) (HUHANG_CRYPTO)")
	fs.BoolVar(&c.RequireMFA, "require-mfa", envBool("HUHANG_REQUIRE_MFA", false), "require TOTP for roles that see named children's sensitive data (HUHANG_REQUIRE_MFA)")
	fs.BoolVar(&c.InsecureCookies, "insecure-cookies", envBool("HUHANG_INSECURE_COOKIES", false), "send the session cookie without Secure, for plain-HTTP access from other machines (HUHANG_INSECURE_COOKIES)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", envDur("HUHANG_IDLE_TIMEOUT", 15*time.Minute), "session idle timeout (HUHANG_IDLE_TIMEOUT)")
	fs.DurationVar(&c.AbsoluteTimeout, "absolute-timeout", envDur("HUHANG_ABSOLUTE_TIMEOUT", 8*time.Hour), "session absolute lifetime (HUHANG_ABSOLUTE_TIMEOUT)")
	fs.StringVar(&c.LogLevel, "log-level", env("HUHANG_LOG_LEVEL", "info"), "debug, info, warn or error (HUHANG_LOG_LEVEL)")
	fs.Uint64Var(&c.DemoSeed, "seed", uint64(envInt("HUHANG_DEMO_SEED", 1)), "demo city seed (HUHANG_DEMO_SEED)")
	fs.Float64Var(&c.DemoScale, "scale", envFloat("HUHANG_DEMO_SCALE", 1), "demo city scale; 1 ≈ 180,000 pupils (HUHANG_DEMO_SCALE)")
	fs.StringVar(&c.WebhookURL, "webhook-url", secret("HUHANG_WEBHOOK_URL"), "POST each alert step (ids only, never names) to this URL (HUHANG_WEBHOOK_URL)")
	fs.BoolVar(&c.SMSLog, "sms-log", envBool("HUHANG_SMS_LOG", true), "queue SMS notices for alerts through the logging gateway (demo; a real gateway plugs in the same way) (HUHANG_SMS_LOG)")
	fs.DurationVar(&c.AckCritical, "ack-critical", envDur("HUHANG_ACK_CRITICAL", 2*time.Hour), "time to acknowledge a critical-answer alert before it escalates (HUHANG_ACK_CRITICAL)")
	fs.DurationVar(&c.AckRed, "ack-red", envDur("HUHANG_ACK_RED", 24*time.Hour), "time to acknowledge a red-tier alert before it escalates (HUHANG_ACK_RED)")
	fs.IntVar(&c.AckOrangeDays, "ack-orange-days", int(envInt("HUHANG_ACK_ORANGE_DAYS", 3)), "school days to acknowledge an orange-tier alert (HUHANG_ACK_ORANGE_DAYS)")
	c.AdminPassword = secret("HUHANG_ADMIN_PASSWORD")
	c.WebhookSecret = secret("HUHANG_WEBHOOK_SECRET")
}

// SQLitePath is the database file in the data directory.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "huhang.db") }

// KeyPath is the key file's path.
func (c *Config) KeyPath() string {
	if c.KeyFile != "" {
		return c.KeyFile
	}
	return filepath.Join(c.DataDir, "huhang.key")
}

// Validate checks values that flags cannot.
func (c *Config) Validate() error {
	if c.Crypto != "aes" && c.Crypto != "sm" {
		return fmt.Errorf("--crypto must be aes or sm, not %q", c.Crypto)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return fmt.Errorf("--database-url must start with postgres:// (got a value of another form)")
	}
	if c.AckCritical < time.Minute || c.AckRed < time.Minute || c.AckOrangeDays < 1 || c.AckOrangeDays > 30 {
		return fmt.Errorf("alert deadlines: --ack-critical and --ack-red must be at least 1m, --ack-orange-days 1 to 30")
	}
	if c.WebhookURL != "" && !strings.HasPrefix(c.WebhookURL, "https://") && !strings.HasPrefix(c.WebhookURL, "http://") {
		return fmt.Errorf("--webhook-url must be an http(s) URL")
	}
	if c.IdleTimeout <= 0 || c.AbsoluteTimeout < c.IdleTimeout {
		return fmt.Errorf("timeouts: idle must be positive and no longer than absolute")
	}
	return nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// secret reads NAME, or the file named by NAME_FILE.
func secret(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	if f := os.Getenv(name + "_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err == nil {
			return strings.TrimSpace(string(b))
		}
		fmt.Fprintf(os.Stderr, "huhang: cannot read %s_FILE: %v\n", name, err)
	}
	return ""
}

func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDur(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}
