package servers

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// listensOn reports whether process pid holds the socket listening on the
// loopback TCP port (Linux: /proc/net/tcp and the process's descriptors).
func listensOn(pid, port int) (bool, error) {
	inode, err := listeningInode(port)
	if err != nil || inode == "" {
		return false, err
	}
	fds, err := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	if err != nil {
		return false, err
	}
	for _, fd := range fds {
		if link, err := os.Readlink(fd); err == nil && link == "socket:["+inode+"]" {
			return true, nil
		}
	}
	return false, nil
}

// listeningInode returns the inode of the socket listening on 127.0.0.1's
// port, or "" when none does.
func listeningInode(port int) (string, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return "", err
	}
	defer f.Close()
	local := fmt.Sprintf("0100007F:%04X", port)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// sl local_address rem_address st ... inode (the tenth field)
		if len(fields) > 9 && fields[1] == local && fields[3] == "0A" {
			return fields[9], nil
		}
	}
	return "", sc.Err()
}
