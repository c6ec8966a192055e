package worker

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"huhang/internal/screening"
	"huhang/internal/store"
)

// Message is what a channel delivers about one alert. It holds ids, the
// alert's severity and level and a link to it, and deliberately nothing
// else: no name, no answers, no score. Messages leave the server over
// networks and land in phones and chat rooms the platform does not control.
type Message struct {
	// NotificationID identifies this delivery; a receiver can use it to
	// drop a message it has already seen (a retry after a lost response).
	NotificationID int64  `json:"notification_id"`
	AlertID        int64  `json:"alert_id"`
	Severity       string `json:"severity"`
	// Level is "school", "district" or "city": who must act now.
	Level      string `json:"level"`
	SchoolID   int64  `json:"school_id"`
	DistrictID int64  `json:"district_id"`
	// UserID is the recipient for per-user channels (SMS); 0 for a
	// webhook, which goes to one system, not a person.
	UserID int64 `json:"user_id,omitempty"`
	// Link is the alert's path on the server, e.g. "/alerts/123".
	Link string `json:"link"`
}

// MessageFor builds the message for a queued notification.
func MessageFor(n store.Notification) Message {
	return Message{
		NotificationID: n.ID,
		AlertID:        n.AlertID,
		Severity:       n.Severity,
		Level:          screening.Level(n.Level).String(),
		SchoolID:       n.SchoolID,
		DistrictID:     n.DistrictID,
		UserID:         n.UserID,
		Link:           "/alerts/" + strconv.FormatInt(n.AlertID, 10),
	}
}

// Channel delivers messages one way (a webhook, SMS). Name is the value of
// the store's notification channel column the channel serves.
type Channel interface {
	Name() string
	Send(ctx context.Context, m Message) error
}

// ChannelNames returns the channels' names, for store.SetNotifyChannels:
// the store queues messages only for channels that will deliver them.
func ChannelNames(chs []Channel) []string {
	out := make([]string, 0, len(chs))
	for _, c := range chs {
		out = append(out, c.Name())
	}
	return out
}

// WebhookTimeout bounds one webhook delivery, connection to last byte.
const WebhookTimeout = 10 * time.Second

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the request
// body under the webhook's secret.
const SignatureHeader = "X-Huhang-Signature"

// Webhook POSTs each message as JSON to URL. With a Secret the request is
// signed (SignatureHeader) so the receiver can tell it came from this
// server. Any status outside 2xx is a failed delivery, retried later.
type Webhook struct {
	URL string
	// Client sends the request; nil means a client with WebhookTimeout.
	Client *http.Client
	Secret []byte
}

// Name returns "webhook".
func (w Webhook) Name() string { return "webhook" }

// Send delivers m.
func (w Webhook) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "huhang-webhook")
	if len(w.Secret) > 0 {
		req.Header.Set(SignatureHeader, Sign(w.Secret, body))
	}
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: WebhookTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: post: %w", stripURL(err))
	}
	defer resp.Body.Close()
	// Read a little so the connection can be reused; the answer itself
	// does not matter.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: status %d", resp.StatusCode)
	}
	return nil
}

// Sign returns the SignatureHeader value for body: "sha256=" followed by the
// hex HMAC-SHA256 of body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// stripURL drops the URL from net/http's errors: webhook URLs often carry
// a token in the path or query, and the error is logged and stored.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// SMSGateway sends a text message to a user; the gateway looks up the
// user's phone number itself, so no number passes through the outbox.
type SMSGateway interface {
	Send(ctx context.Context, userID int64, text string) error
}

// LogSMS is the demo gateway: it logs what it would send instead of
// sending it.
type LogSMS struct {
	// Logger receives the messages; nil means slog.Default().
	Logger *slog.Logger
}

// Send logs the user id and the text.
func (l LogSMS) Send(ctx context.Context, userID int64, text string) error {
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "sms (demo gateway, not sent)", "user_id", userID, "text", text)
	return nil
}

// SMS is the channel that texts each addressed user through a gateway.
type SMS struct {
	Gateway SMSGateway
}

// Name returns "sms".
func (s SMS) Name() string { return "sms" }

// Send texts SMSText(m) to m.UserID.
func (s SMS) Send(ctx context.Context, m Message) error {
	if s.Gateway == nil {
		return errors.New("sms: no gateway configured")
	}
	if m.UserID == 0 {
		return errors.New("sms: message has no recipient")
	}
	if err := s.Gateway.Send(ctx, m.UserID, SMSText(m)); err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	return nil
}

// SMSText is the text message for m. It says only that an alert with this
// number is waiting: a text can be read by anyone holding the phone.
func SMSText(m Message) string {
	kind := "预警"
	if m.Severity == string(screening.SevCritical) {
		kind = "危机预警"
	}
	return fmt.Sprintf("【护航】您有一条%s待处理（编号 %d），请尽快登录查看。", kind, m.AlertID)
}
