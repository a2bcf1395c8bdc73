package main

import (
	"testing"

	"github.com/ccbench/ccbench/servers/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m) }
