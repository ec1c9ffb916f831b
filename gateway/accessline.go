package gateway

import (
	"strconv"
	"time"
)

// appendAccessLine appends the line zap would encode, with EncoderConfig,
// for an info entry "request" of the access logger at now with the
// successful request's fields; ok is false, and dst unchanged, when a
// string needs escaping, which the caller leaves to zap.
func appendAccessLine(dst []byte, now time.Time, requestID []byte, routeKey string, method, path []byte, status int,
	latency time.Duration, bytes int, function string, backendLatency time.Duration, sourceIP []byte) ([]byte, bool) {
	if !plain(requestID) || !plain(method) || !plain(path) || !plain(sourceIP) || !plainString(routeKey) || !plainString(function) {
		return dst, false
	}
	dst = append(dst, `{"level":"info","time":"`...)
	dst = now.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","logger":"`+AccessLoggerName+`","msg":"request","request_id":"`...)
	dst = append(dst, requestID...)
	dst = append(dst, `","route_key":"`...)
	dst = append(dst, routeKey...)
	dst = append(dst, `","method":"`...)
	dst = append(dst, method...)
	dst = append(dst, `","path":"`...)
	dst = append(dst, path...)
	dst = append(dst, `","status":`...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, `,"latency":`...)
	dst = appendSeconds(dst, latency)
	dst = append(dst, `,"bytes":`...)
	dst = strconv.AppendInt(dst, int64(bytes), 10)
	dst = append(dst, `,"function":"`...)
	dst = append(dst, function...)
	dst = append(dst, `","backend_latency":`...)
	dst = appendSeconds(dst, backendLatency)
	dst = append(dst, `,"source_ip":"`...)
	dst = append(dst, sourceIP...)
	dst = append(dst, "\"}\n"...)
	return dst, true
}

// appendSeconds appends d in seconds as zapcore.SecondsDurationEncoder
// does.
func appendSeconds(dst []byte, d time.Duration) []byte {
	return strconv.AppendFloat(dst, float64(d)/float64(time.Second), 'f', -1, 64)
}

// plain says whether zap's JSON encoder copies b as it is.
func plain(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
