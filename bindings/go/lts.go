// Package lts is the CTyun Cloud Log Service (LTS) SDK for Go, on the native liblts core.
//
// The module is github.com/ctyun-it/liblts/bindings/go (tagged bindings/go/vX.Y.Z in the
// liblts repository) and its package is named lts:
//
//	go get github.com/ctyun-it/liblts/bindings/go@v0.1.0
//	import lts "github.com/ctyun-it/liblts/bindings/go"
//
// A checkout of the repository takes the module's place with a replace directive:
//
//	go mod edit -replace=github.com/ctyun-it/liblts/bindings/go=/path/to/liblts/bindings/go
//
// Build flags come from pkg-config (lts.pc): with the release tarball unpacked in DIR, set
// PKG_CONFIG_PATH=DIR/lib/pkgconfig; after `make install PREFIX=P`, P/lib/pkgconfig unless P is
// a prefix pkg-config already searches. Against a build in the repository, `make pkgconfig`
// writes target/release/pkgconfig/lts.pc.
//
// Items are validated, encoded, signed and sent by liblts; this package only marshals them.
// Client and Producer may be used from many goroutines; LogItem from one at a time.
package lts

/*
#cgo pkg-config: lts
#include <stdint.h>
#include <stdlib.h>
#include "lts.h"

*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Result codes (the lts_result constants of lts.h).
const (
	OK              int32 = 0
	ErrInvalidArg   int32 = 1
	ErrInvalidKey   int32 = 2
	ErrInvalidValue int32 = 3
	ErrTooLarge     int32 = 4
	ErrInvalidState int32 = 5
	ErrAuth         int32 = 100
	ErrNetwork      int32 = 101
	ErrTimeout      int32 = 102
	ErrServer       int32 = 103
	ErrBufferFull   int32 = 104
	ErrClosed       int32 = 105
	ErrReentrant    int32 = 106
	ErrInternal     int32 = 900
)

// ABIVersion is the liblts ABI this package was written for.
const ABIVersion = 0

// Response is the service's answer.
type Response struct {
	StatusCode int32
	Message    string
	Error      string
}

// Error is a failed call: the lts_result code, its name, liblts's message, and the service's
// answer when it gave one.
type Error struct {
	Code     int32
	Name     string
	Message  string
	Response *Response
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

func resultName(code int32) string { return C.GoString(C.lts_result_name(C.lts_result(code))) }

// call runs f on one OS thread, so liblts's thread-local error detail belongs to this call.
func call(f func() C.lts_result) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := int32(f())
	if r == OK {
		return nil
	}
	return &Error{Code: r, Name: resultName(r), Message: C.GoString(C.lts_last_error_message())}
}

func init() {
	if v := int(C.lts_abi_version()); v != ABIVersion {
		panic(fmt.Sprintf("liblts ABI version %d, this package needs %d", v, ABIVersion))
	}
}

// Version is the liblts version.
func Version() string { return C.GoString(C.lts_version()) }

// NowNs is the current time in ns since the epoch (get_current_timestamp).
func NowNs() int64 { return int64(C.lts_now_ns()) }

// --- LogItem -------------------------------------------------------------------------------

type field struct {
	key   string
	value interface{}
}

// LogItem is one log. Timestamp (ns) and origin message are required.
type LogItem struct {
	Timestamp int64
	OriginMsg string
	contents  []field
	labels    []field
}

// NewLogItem makes a log item with the given timestamp and message.
func NewLogItem(timestampNs int64, originMsg string) *LogItem {
	return &LogItem{Timestamp: timestampNs, OriginMsg: originMsg}
}

// goodKeys holds, per field kind (content, label), keys that passed liblts's rules: keys
// repeat from log to log, and checking one is a call into C. At most maxGoodKeys each.
var (
	goodKeys      [2]sync.Map
	goodKeysCount [2]atomic.Int64
)

const maxGoodKeys = 65536

func checkKey(key string, label bool) error {
	kind := 0
	if label {
		kind = 1
	}
	if _, ok := goodKeys[kind].Load(key); ok {
		return nil
	}
	k := C.CString(key)
	defer C.free(unsafe.Pointer(k))
	if err := call(func() C.lts_result { return C.lts_check_key(k, C.bool(label)) }); err != nil {
		return err
	}
	if goodKeysCount[kind].Load() < maxGoodKeys {
		if _, had := goodKeys[kind].LoadOrStore(key, struct{}{}); !had {
			goodKeysCount[kind].Add(1)
		}
	}
	return nil
}

func push(list *[]field, key string, value interface{}, label bool) error {
	switch value.(type) {
	case string, int, int32, int64, uint32, float32, float64:
	default:
		value = fmt.Sprint(value)
	}
	if err := checkKey(key, label); err != nil {
		return err
	}
	put(list, key, value)
	return nil
}

// put adds or replaces a field whose key is known to follow the rules and whose value is of
// a type putFields lays out.
func put(list *[]field, key string, value interface{}) {
	for i := range *list {
		if (*list)[i].key == key {
			(*list)[i].value = value
			return
		}
	}
	if *list == nil {
		*list = make([]field, 0, 8) // a log's usual fields, without growing
	}
	*list = append(*list, field{key, value})
}

// PushContent adds (or replaces) a content: string, integer or float (others as fmt.Sprint).
// A key that breaks the rules returns an *Error naming it.
func (it *LogItem) PushContent(key string, value interface{}) error {
	return push(&it.contents, key, value, false)
}

// PushLabel adds (or replaces) a label, as PushContent.
func (it *LogItem) PushLabel(key string, value interface{}) error {
	return push(&it.labels, key, value, true)
}

func putStr(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func putFields(b []byte, fs []field) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(fs)))
	for _, f := range fs {
		switch v := f.value.(type) {
		case string:
			b = putStr(append(b, 0), f.key)
			b = putStr(b, v)
		case int:
			b = binary.LittleEndian.AppendUint64(putStr(append(b, 1), f.key), uint64(int64(v)))
		case int32:
			b = binary.LittleEndian.AppendUint64(putStr(append(b, 1), f.key), uint64(int64(v)))
		case int64:
			b = binary.LittleEndian.AppendUint64(putStr(append(b, 1), f.key), uint64(v))
		case uint32:
			b = binary.LittleEndian.AppendUint64(putStr(append(b, 1), f.key), uint64(v))
		case float32:
			b = binary.LittleEndian.AppendUint64(putStr(append(b, 2), f.key), math.Float64bits(float64(v)))
		case float64:
			b = binary.LittleEndian.AppendUint64(putStr(append(b, 2), f.key), math.Float64bits(v))
		}
	}
	return b
}

// sendBuf is a send's bytes: the project and the unit, each NUL-terminated, then the items
// in the layout lts_producer_send_packed documents. C reads it during the call only, so it
// is Go memory, reused through a pool (no allocation, no C strings, per send).
type sendBuf struct {
	b           []byte
	unit, items int // where the unit and the items start
}

var sendBufs = sync.Pool{New: func() interface{} { return &sendBuf{b: make([]byte, 0, 4096)} }}

func packSend(project, unit string, items []*LogItem) *sendBuf {
	s := sendBufs.Get().(*sendBuf)
	b := append(append(s.b[:0], project...), 0)
	s.unit = len(b)
	b = append(append(b, unit...), 0)
	s.items = len(b)
	for _, it := range items {
		b = binary.LittleEndian.AppendUint64(b, uint64(it.Timestamp))
		b = putStr(b, it.OriginMsg)
		b = putFields(b, it.contents)
		b = putFields(b, it.labels)
	}
	s.b = b
	return s
}

func (s *sendBuf) project() *C.char     { return (*C.char)(unsafe.Pointer(&s.b[0])) }
func (s *sendBuf) unitName() *C.char    { return (*C.char)(unsafe.Pointer(&s.b[s.unit])) }
func (s *sendBuf) itemsPtr() *C.uint8_t { return bufPtr(s.b[s.items:]) }
func (s *sendBuf) itemsLen() C.size_t   { return C.size_t(len(s.b) - s.items) }

// release returns the buffer to the pool (a buffer a large send grew is let go instead).
func (s *sendBuf) release() {
	if cap(s.b) <= 1<<20 {
		sendBufs.Put(s)
	}
}

func bufPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// --- ClientConfig and Client ----------------------------------------------------------------

// ClientConfig is the official SDK's ClientConfig, with a typed field for every client
// option of the core (CONFIGURATION.md; zero values mean liblts's defaults), Profile for the
// wire-protocol profile keys, and Set for any key by name.
type ClientConfig struct {
	Endpoint, AccessKey, SecretKey, LogProject string
	RequestTimeoutMs                           uint32
	CompressType                               string
	UserAgent                                  string
	Retries                                    *uint32
	NoRetryStatusCodes                         []int32
	EOPAuth                                    bool // auth_mode "eop"
	AllowPlainHTTP                             bool
	CAFile, CAPEM                              string
	Profile                                    map[string]string
	options                                    [][2]string
}

// NewClientConfig makes a config with the defaults (30 s timeout, lz4, 3 retries, token auth).
func NewClientConfig(endpoint, accessKey, secretKey, logProject string) *ClientConfig {
	return &ClientConfig{Endpoint: endpoint, AccessKey: accessKey, SecretKey: secretKey, LogProject: logProject,
		UserAgent: "lts-sdk-go/" + Version()}
}

// Set sets any client option by name (a key of CONFIGURATION.md), checked by liblts now: an
// unknown key or a bad value is an *Error (ErrInvalidArg) naming them. Later Sets of a key
// win over earlier ones and over the typed fields.
func (c *ClientConfig) Set(key, value string) error {
	if err := checkOption(clientScratch, key, value); err != nil {
		return err
	}
	c.options = append(c.options, [2]string{key, value})
	return nil
}

// typedOptions is the typed fields as (key, value) pairs, in the order they are applied.
func (c *ClientConfig) typedOptions() [][2]string {
	var o [][2]string
	add := func(k, v string) { o = append(o, [2]string{k, v}) }
	if c.RequestTimeoutMs > 0 {
		add("request_timeout_ms", fmt.Sprint(c.RequestTimeoutMs))
	}
	if c.CompressType != "" {
		add("compress_type", c.CompressType)
	}
	if c.UserAgent != "" {
		add("user_agent", c.UserAgent)
	}
	if c.Retries != nil {
		add("retries", fmt.Sprint(*c.Retries))
	}
	if len(c.NoRetryStatusCodes) > 0 {
		codes := make([]string, len(c.NoRetryStatusCodes))
		for i, s := range c.NoRetryStatusCodes {
			codes[i] = fmt.Sprint(s)
		}
		add("no_retry_status_code", strings.Join(codes, ","))
	}
	if c.EOPAuth {
		add("auth_mode", "eop")
	}
	if c.AllowPlainHTTP {
		add("allow_plain_http", "true")
	}
	if c.CAFile != "" {
		add("ca_file", c.CAFile)
	}
	if c.CAPEM != "" {
		add("ca_pem", c.CAPEM)
	}
	keys := make([]string, 0, len(c.Profile))
	for k := range c.Profile {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, c.Profile[k])
	}
	return o
}

func (c *ClientConfig) native() (*C.lts_client_config, error) {
	cs := func(s string) *C.char { return C.CString(s) }
	e, ak, sk, p := cs(c.Endpoint), cs(c.AccessKey), cs(c.SecretKey), cs(c.LogProject)
	defer func() {
		for _, s := range []*C.char{e, ak, sk, p} {
			C.free(unsafe.Pointer(s))
		}
	}()
	var h *C.lts_client_config
	if err := call(func() C.lts_result { return C.lts_client_config_new(e, ak, sk, p, &h) }); err != nil {
		return nil, err
	}
	for _, kv := range append(c.typedOptions(), c.options...) {
		if err := setOption(clientSetter(h), kv[0], kv[1]); err != nil {
			C.lts_client_config_free(h)
			return nil, err
		}
	}
	return h, nil
}

// Client sends logs synchronously (the official SDK's LogClient). Safe for many goroutines.
type Client struct {
	mu sync.RWMutex
	h  *C.lts_client
}

// NewClient makes a client; in token auth it fetches the token now.
func NewClient(cfg *ClientConfig) (*Client, error) {
	nc, err := cfg.native()
	if err != nil {
		return nil, err
	}
	defer C.lts_client_config_free(nc)
	c := &Client{}
	if err := call(func() C.lts_result { return C.lts_client_new(nc, &c.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// PutLogs sends the items now. On an answer with an error code it returns both the answer
// and an *Error (Code ErrServer) carrying it.
func (c *Client) PutLogs(project, unit string, items []*LogItem) (*Response, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.h == nil {
		return nil, &Error{Code: ErrInvalidState, Name: resultName(ErrInvalidState), Message: "the client is closed"}
	}
	buf := packSend(project, unit, items)
	defer buf.release()
	var resp *C.lts_response
	err := call(func() C.lts_result {
		return C.lts_put_logs_packed(c.h, buf.project(), buf.unitName(), buf.itemsPtr(), buf.itemsLen(),
			C.size_t(len(items)), &resp)
	})
	var out *Response
	if resp != nil {
		out = &Response{StatusCode: int32(C.lts_response_status_code(resp)),
			Message: C.GoString(C.lts_response_message(resp)), Error: C.GoString(C.lts_response_error(resp))}
		C.lts_response_free(resp)
	}
	if e, ok := err.(*Error); ok {
		e.Response = out
		return out, e
	}
	return out, nil
}

// Close frees the client; later calls return an *Error. Closing twice is harmless.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h != nil {
		C.lts_client_free(c.h)
		c.h = nil
	}
}
