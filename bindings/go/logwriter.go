package lts

import (
	"bytes"
	"log"
	"sync/atomic"
	"time"
)

// LogWriter is an io.Writer for the standard library's log package: log.SetOutput(w) or
// log.New(w, prefix, flags). Each Write (one log.Print) becomes one log on the producer: its
// message as the origin message, and as contents the writer's level and logger name, the
// source file:line when the logger's flags include it, and the writer's Fields. The log's time
// is taken when Write is called (the log package writes at once, and its own stamp has only
// microseconds), and the date/time text is removed from the message.
//
// Write never blocks longer than the producer's max_block_ms (0 by default: a full buffer
// drops the line at once) and never returns an error to the log package: a line the producer
// refuses is counted in Dropped and given to OnError. Safe for concurrent use, as log needs.
//
// For log/slog (Go 1.21 or later) there is SlogHandler.
type LogWriter struct {
	producer *Producer
	project  string
	unit     string
	// Flags are the log.Logger flags of the loggers that write here (log.LstdFlags, the
	// standard logger's, by default), so that their date, time and file prefix are parsed.
	Flags int
	// Prefix is the loggers' prefix, removed from the message (with log.Lmsgprefix, from
	// before the message; otherwise from the line's start).
	Prefix string
	// Level and Logger are sent as the contents "level" and "logger" (when not empty).
	Level  string
	Logger string
	// Fields are extra contents on every log; Labels its labels. While one of their keys or
	// values breaks liblts's rules, every line is dropped (counted, given to OnError).
	Fields map[string]interface{}
	Labels map[string]interface{}
	// OnError, when set, is called (on the writer's or liblts's callback thread) with each
	// line's refusal or failed delivery. Keep it short and do not log to this writer from it.
	OnError func(error)

	dropped *atomic.Int64
	failed  *atomic.Int64
}

// NewLogWriter writes to project/unit through p (which must be started), with level "info".
func NewLogWriter(p *Producer, project, unit, logger string) *LogWriter {
	return &LogWriter{
		producer: p, project: project, unit: unit,
		Flags: log.LstdFlags, Level: "info", Logger: logger,
		dropped: new(atomic.Int64), failed: new(atomic.Int64),
	}
}

// WithLevel is a copy that sends another level, sharing the producer and counters:
// log.New(w.WithLevel("error"), "", log.LstdFlags) is an error logger.
func (w *LogWriter) WithLevel(level string) *LogWriter {
	c := *w
	c.Level = level
	return &c
}

// Dropped is how many lines the producer refused (buffer full, closed, invalid).
func (w *LogWriter) Dropped() int64 { return w.dropped.Load() }

// Failed is how many accepted lines were not delivered (their result was an error).
func (w *LogWriter) Failed() int64 { return w.failed.Load() }

// cut removes n bytes followed by sep from the front of b; ok is false if they are not there.
func cut(b []byte, n int, sep byte) (head, rest []byte, ok bool) {
	if len(b) <= n || b[n] != sep {
		return nil, b, false
	}
	return b[:n], b[n+1:], true
}

// parse splits a line the log package formatted with w.Flags and w.Prefix into its source
// (file:line) and message. A line that does not match is all message.
func (w *LogWriter) parse(line []byte) (source string, msg []byte) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	whole := line
	prefixFirst := w.Flags&log.Lmsgprefix == 0
	if prefixFirst && w.Prefix != "" {
		if !bytes.HasPrefix(line, []byte(w.Prefix)) {
			return "", whole
		}
		line = line[len(w.Prefix):]
	}
	var ok bool
	if w.Flags&log.Ldate != 0 {
		if _, line, ok = cut(line, len("2006/01/02"), ' '); !ok {
			return "", whole
		}
	}
	if w.Flags&(log.Ltime|log.Lmicroseconds) != 0 {
		n := len("15:04:05")
		if w.Flags&log.Lmicroseconds != 0 {
			n = len("15:04:05.000000")
		}
		if _, line, ok = cut(line, n, ' '); !ok {
			return "", whole
		}
	}
	if w.Flags&(log.Lshortfile|log.Llongfile) != 0 {
		i := bytes.Index(line, []byte(": "))
		if i < 0 {
			return "", whole
		}
		source, line = string(line[:i]), line[i+2:]
	}
	if !prefixFirst && w.Prefix != "" {
		line = bytes.TrimPrefix(line, []byte(w.Prefix))
	}
	return source, line
}

// Write sends one line; it always reports len(p), nil (see LogWriter).
func (w *LogWriter) Write(p []byte) (int, error) {
	source, msg := w.parse(p)
	text := string(msg)
	if text == "" { // liblts refuses an empty origin message
		text = "(empty message)"
	}
	it := NewLogItem(time.Now().UnixNano(), text)
	if err := w.fill(it, source); err != nil {
		w.dropped.Add(1)
		report(w.OnError, err)
		return len(p), nil
	}
	w.producer.ship(w, w.project, w.unit, it, w.dropped, w.OnError)
	return len(p), nil
}

// shipFailed counts a line whose delivery failed and gives the error to OnError.
func (w *LogWriter) shipFailed(err error) {
	w.failed.Add(1)
	report(w.OnError, err)
}

// Flush hands the lines the producer holds to its senders now rather than when linger_ms
// runs out (Producer.Flush), and returns at once: before a fork, at the end of a job, or
// wherever the program wants its lines on their way. An *Error when the producer is not
// started or is closed.
func (w *LogWriter) Flush() error { return w.producer.Flush() }

func (w *LogWriter) fill(it *LogItem, source string) error {
	if w.Level != "" {
		if err := it.PushContent("level", w.Level); err != nil {
			return err
		}
	}
	if w.Logger != "" {
		if err := it.PushContent("logger", w.Logger); err != nil {
			return err
		}
	}
	if source != "" {
		if err := it.PushContent("source", source); err != nil {
			return err
		}
	}
	for k, v := range w.Fields {
		if err := it.PushContent(k, v); err != nil {
			return err
		}
	}
	for k, v := range w.Labels {
		if err := it.PushLabel(k, v); err != nil {
			return err
		}
	}
	return nil
}

func report(onError func(error), err error) {
	if onError != nil {
		onError(err)
	}
}
