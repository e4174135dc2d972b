package lts

/*
#include <stdint.h>
#include "lts.h"
void lts_go_set_log_hook(int on);
*/
import "C"

import (
	"log"
	"sync"
)

// Log levels (lts_set_log_level's).
const (
	LogOff   = -1
	LogError = 3
	LogWarn  = 4 // the default
	LogInfo  = 6
	LogDebug = 7
)

var (
	logMu   sync.RWMutex
	logFunc = func(level int, message string) { log.Printf("liblts %s: %s", levelName(level), message) }
)

func levelName(level int) string {
	switch level {
	case LogError:
		return "error"
	case LogWarn:
		return "warn"
	case LogInfo:
		return "info"
	default:
		return "debug"
	}
}

func init() {
	// liblts's lines go to Go's log package (its default output is stderr) from the start.
	C.lts_go_set_log_hook(1)
}

//export ltsGoLogLine
func ltsGoLogLine(level C.int32_t, message *C.char) {
	logMu.RLock()
	f := logFunc
	logMu.RUnlock()
	if f != nil {
		f(int(level), C.GoString(message))
	}
}

// SetLogger sends liblts's lines (failed attempts, token failures, a full buffer, close
// leaving logs unsent) to f instead of the log package; nil sends them to liblts's own
// stderr writer. f runs on liblts's threads (a producer's callback thread, or the goroutine
// calling Poll, Close or PutLogs) and must be safe for concurrent use.
func SetLogger(f func(level int, message string)) {
	logMu.Lock()
	logFunc = f
	logMu.Unlock()
	on := 0
	if f != nil {
		on = 1
	}
	C.lts_go_set_log_hook(C.int(on))
}

// SetLogLevel drops lines above level: LogError, LogWarn (the default), LogInfo, LogDebug,
// or LogOff for none at all.
func SetLogLevel(level int) { C.lts_set_log_level(C.int32_t(level)) }
