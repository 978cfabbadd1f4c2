package workerclient

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"google.golang.org/grpc/grpclog"
)

// RouteGRPCLogs sends grpc-go's own log lines through logger, so that the process writes
// nothing but JSON. As with gRPC's default logger, only its errors show at the default
// level: its warnings repeat every failed reconnect while the worker is down, which the
// client already reports once as a health change. LOG_LEVEL=debug shows the rest.
// Call it before any other gRPC function: grpclog's setter is not synchronized.
func RouteGRPCLogs(logger *slog.Logger) {
	grpclog.SetLoggerV2(grpcLogger{logger.With("component", "grpc")})
}

// grpcLogger adapts slog to grpclog.LoggerV2.
type grpcLogger struct{ l *slog.Logger }

func (g grpcLogger) print(level slog.Level, args ...any) {
	if g.l.Enabled(context.Background(), level) {
		g.l.Log(context.Background(), level, fmt.Sprint(args...))
	}
}

func (g grpcLogger) println(level slog.Level, args ...any) {
	if g.l.Enabled(context.Background(), level) {
		g.l.Log(context.Background(), level, strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
	}
}

func (g grpcLogger) printf(level slog.Level, format string, args ...any) {
	if g.l.Enabled(context.Background(), level) {
		g.l.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (g grpcLogger) Info(args ...any)                    { g.print(slog.LevelDebug, args...) }
func (g grpcLogger) Infoln(args ...any)                  { g.println(slog.LevelDebug, args...) }
func (g grpcLogger) Infof(format string, args ...any)    { g.printf(slog.LevelDebug, format, args...) }
func (g grpcLogger) Warning(args ...any)                 { g.print(slog.LevelDebug, args...) }
func (g grpcLogger) Warningln(args ...any)               { g.println(slog.LevelDebug, args...) }
func (g grpcLogger) Warningf(format string, args ...any) { g.printf(slog.LevelDebug, format, args...) }
func (g grpcLogger) Error(args ...any)                   { g.print(slog.LevelError, args...) }
func (g grpcLogger) Errorln(args ...any)                 { g.println(slog.LevelError, args...) }
func (g grpcLogger) Errorf(format string, args ...any)   { g.printf(slog.LevelError, format, args...) }

// Fatal* are how gRPC reports a broken invariant; like grpclog's own logger, they exit.
func (g grpcLogger) Fatal(args ...any) {
	g.print(slog.LevelError, args...)
	os.Exit(1)
}

func (g grpcLogger) Fatalln(args ...any) {
	g.println(slog.LevelError, args...)
	os.Exit(1)
}

func (g grpcLogger) Fatalf(format string, args ...any) {
	g.printf(slog.LevelError, format, args...)
	os.Exit(1)
}

// V reports whether verbose logging at level l is on; gRPC's verbose levels stay off.
func (g grpcLogger) V(l int) bool { return l <= 0 }
