package main

import (
	"fmt"
	"log/slog"
)

// slogErrorLog lets promhttp report errors through slog.
type slogErrorLog struct{ logger *slog.Logger }

func (l slogErrorLog) Println(v ...any) { l.logger.Error("serving metrics", "err", fmt.Sprint(v...)) }
