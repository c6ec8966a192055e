package app

import (
	"errors"
	"io"
)

func benchCmd(args []string, stdout, stderr io.Writer) error {
	return errors.New("bench: being written")
}
