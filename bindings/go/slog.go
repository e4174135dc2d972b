//go:build go1.21

// log/slog arrived in Go 1.21: on older Go (Debian 12's is 1.19) this file is left out and
// the rest of the package builds as before.

package lts

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// SlogOptions configures a SlogHandler; the zero value is usable.
type SlogOptions struct {
	// Level is the lowest level handled (slog.LevelInfo when nil), as slog.HandlerOptions'.
	Level slog.Leveler
	// AddSource sends the caller's file:line as the content "source".
	AddSource bool
	// Logger, when not empty, is sent as the content "logger".
	Logger string
	// Labels are every log's labels, checked by NewSlogHandler.
	Labels map[string]interface{}
	// OnError, when set, is called (on the logging goroutine or liblts's callback thread)
	// with each record the producer refuses, each failed delivery and each attribute left
	// out. Keep it short and do not log to this handler from it.
	OnError func(error)
}

// SlogHandler is a log/slog Handler (Go 1.21 or later) on a producer: slog.New(h). Each
// Record becomes one log: its message the origin message ("(empty message)" when empty), its
// time the log's (now when zero), and as contents "level" (slog's name of the level: DEBUG,
// INFO, WARN, ERROR, INFO+2, ...), "logger" and "source" (file:line) as LogWriter sends
// them, then every attribute. An attribute inside groups (WithGroup, slog.Group) is named by
// the groups' names and its key joined with '.' ("request.user.id"; liblts's key rules allow
// '.'), a group with an empty name is inlined, an empty group or a zero Attr is left out,
// and a LogValuer is resolved. Values: strings, integers and floats as they are (a uint64
// above math.MaxInt64, NaN and infinities as text), booleans "true"/"false", a time in RFC
// 3339 with nanoseconds, a duration as its String, an error its Error, a fmt.Stringer its
// String, anything else as JSON; empty strings and nils are left out; text that is not
// UTF-8 has its bad bytes replaced. An attribute named like an earlier content replaces it.
// An attribute whose joined key breaks liblts's key rules is left out, counted in
// RefusedFields and given to OnError; the log is still sent.
//
// Handle never returns an error to slog and never blocks longer than the producer's
// max_block_ms (0 by default: a full buffer drops the record at once): a record the producer
// refuses is counted in Dropped, a failed delivery in Failed, both given to OnError, as
// LogWriter does. Safe for concurrent use; the handlers WithAttrs and WithGroup return share
// the producer, options and counters.
type SlogHandler struct {
	c      *slogCommon
	prefix string  // the open groups' names, each followed by '.'
	attrs  []field // WithAttrs' attributes, named, converted and checked once
}

type slogCommon struct {
	producer              *Producer
	project, unit         string
	opts                  SlogOptions
	labels                []field
	dropped, failed, refs atomic.Int64
}

// NewSlogHandler ships records to project/unit through p (which must be started). An
// *Error when a label's key breaks liblts's rules.
func NewSlogHandler(p *Producer, project, unit string, opts *SlogOptions) (*SlogHandler, error) {
	c := &slogCommon{producer: p, project: project, unit: unit}
	if opts != nil {
		c.opts = *opts
	}
	for k, v := range c.opts.Labels {
		if err := push(&c.labels, k, v, true); err != nil {
			return nil, err
		}
	}
	return &SlogHandler{c: c}, nil
}

// Enabled reports whether records at level are handled (SlogOptions.Level).
func (h *SlogHandler) Enabled(_ context.Context, level slog.Level) bool {
	min := slog.LevelInfo
	if h.c.opts.Level != nil {
		min = h.c.opts.Level.Level()
	}
	return level >= min
}

// WithAttrs is a handler that adds attrs (inside the open groups) to every record.
func (h *SlogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	c := *h
	c.attrs = append([]field(nil), h.attrs...)
	for _, a := range attrs {
		h.collect(&c.attrs, h.prefix, a)
	}
	return &c
}

// WithGroup is a handler whose later attributes are inside the group name.
func (h *SlogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

// Handle sends the record; it always returns nil (see SlogHandler).
func (h *SlogHandler) Handle(_ context.Context, r slog.Record) error {
	c := h.c
	ts := NowNs()
	if !r.Time.IsZero() {
		ts = r.Time.UnixNano()
	}
	msg := validText(r.Message)
	if msg == "" { // liblts refuses an empty origin message
		msg = "(empty message)"
	}
	it := NewLogItem(ts, msg)
	it.contents = make([]field, 0, 3+len(h.attrs)+r.NumAttrs())
	put(&it.contents, "level", r.Level.String())
	if c.opts.Logger != "" {
		put(&it.contents, "logger", validText(c.opts.Logger))
	}
	if c.opts.AddSource && r.PC != 0 {
		f, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		if f.File != "" {
			put(&it.contents, "source", validText(f.File)+":"+strconv.Itoa(f.Line))
		}
	}
	for _, f := range h.attrs {
		put(&it.contents, f.key, f.value)
	}
	r.Attrs(func(a slog.Attr) bool {
		h.collect(&it.contents, h.prefix, a)
		return true
	})
	it.labels = c.labels // read only: packing does not change it
	c.producer.ship(c, c.project, c.unit, it, &c.dropped, c.opts.OnError)
	return nil
}

// shipFailed counts a record whose delivery failed and gives the error to OnError.
func (c *slogCommon) shipFailed(err error) {
	c.failed.Add(1)
	report(c.opts.OnError, err)
}

// collect adds a (inside the groups of prefix) to list, as SlogHandler describes.
func (h *SlogHandler) collect(list *[]field, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		inner := prefix
		if a.Key != "" {
			inner = prefix + a.Key + "."
		}
		for _, g := range a.Value.Group() {
			h.collect(list, inner, g)
		}
		return
	}
	v := slogValue(a.Value)
	if v == nil {
		return
	}
	key := prefix + a.Key
	if err := checkKey(key, false); err != nil {
		h.c.refs.Add(1)
		report(h.c.opts.OnError, err)
		return
	}
	put(list, key, v)
}

// slogValue is a resolved, non-group value as a content's value, or nil to leave it out.
func slogValue(v slog.Value) interface{} {
	switch v.Kind() {
	case slog.KindInt64:
		return v.Int64()
	case slog.KindUint64:
		if u := v.Uint64(); u <= math.MaxInt64 {
			return int64(u)
		}
		return strconv.FormatUint(v.Uint64(), 10)
	case slog.KindFloat64:
		// liblts refuses what JSON cannot hold; as text the log still goes.
		if f := v.Float64(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f
		}
		return strconv.FormatFloat(v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		return strconv.FormatBool(v.Bool())
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		return anyText(v.Any())
	}
	return nonEmpty(v.String())
}

// anyText is an arbitrary value as text (nil to leave it out). A String or Error method that
// panics gives its panic as the text, as slog's own handlers do, rather than losing the log.
func anyText(x interface{}) (out interface{}) {
	defer func() {
		if p := recover(); p != nil {
			out = nonEmpty(fmt.Sprintf("!PANIC: %v", p))
		}
	}()
	switch t := x.(type) {
	case nil:
		return nil
	case error:
		return nonEmpty(t.Error())
	case fmt.Stringer:
		return nonEmpty(t.String())
	case []byte:
		return nonEmpty(string(t))
	}
	b, err := json.Marshal(x)
	if err != nil {
		return nonEmpty(fmt.Sprint(x))
	}
	if s := string(b); s != "null" {
		return nonEmpty(s)
	}
	return nil
}

func nonEmpty(s string) interface{} {
	if s == "" {
		return nil // liblts refuses empty values
	}
	return validText(s)
}

// validText replaces what is not UTF-8 (which liblts would refuse, and the log with it).
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Flush hands the records the producer holds to its senders now (Producer.Flush); see
// LogWriter.Flush.
func (h *SlogHandler) Flush() error { return h.c.producer.Flush() }

// Dropped is how many records the producer refused (buffer full, closed).
func (h *SlogHandler) Dropped() int64 { return h.c.dropped.Load() }

// Failed is how many accepted records were not delivered (their result was an error).
func (h *SlogHandler) Failed() int64 { return h.c.failed.Load() }

// RefusedFields is how many attributes were left out for a key liblts's rules refuse.
func (h *SlogHandler) RefusedFields() int64 { return h.c.refs.Load() }
