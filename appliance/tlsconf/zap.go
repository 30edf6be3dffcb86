package tlsconf

import (
	"context"
	"log/slog"
	"slices"
	"sort"

	"go.uber.org/zap/zapcore"
)

// zapCore sends certmagic's zap logs to Missive's slog logger, so that
// certificate events land in the same journal with the same levels.
type zapCore struct {
	log    *slog.Logger
	fields []zapcore.Field
}

func newZapCore(log *slog.Logger) zapcore.Core { return &zapCore{log: log} }

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

func (z *zapCore) Enabled(l zapcore.Level) bool {
	return z.log.Enabled(context.Background(), slogLevel(l))
}

func (z *zapCore) With(fs []zapcore.Field) zapcore.Core {
	return &zapCore{log: z.log, fields: append(slices.Clone(z.fields), fs...)}
}

func (z *zapCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if z.Enabled(e.Level) {
		return ce.AddCore(e, z)
	}
	return ce
}

func (z *zapCore) Write(e zapcore.Entry, fs []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range z.fields {
		f.AddTo(enc)
	}
	for _, f := range fs {
		f.AddTo(enc)
	}
	keys := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := make([]any, 0, 2*len(keys)+2)
	if e.LoggerName != "" {
		args = append(args, "logger", e.LoggerName)
	}
	for _, k := range keys {
		args = append(args, k, enc.Fields[k])
	}
	z.log.Log(context.Background(), slogLevel(e.Level), e.Message, args...)
	return nil
}

func (z *zapCore) Sync() error { return nil }
