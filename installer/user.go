package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
)

func runCmd(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// Account is a system user and its primary group.
type Account struct {
	Name     string
	UID, GID int
}

// LookupAccount finds a system user.
func LookupAccount(name string) (Account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return Account{}, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return Account{name, uid, gid}, nil
}

// EnsureAccount makes the system user (and its group) the service runs as,
// with home the data dir and no login shell, unless it exists. It records
// the creation in j, to remove it on rollback.
func EnsureAccount(j *Journal, name, home string) (Account, error) {
	if a, err := LookupAccount(name); err == nil {
		return a, nil
	} else if !errors.As(err, new(user.UnknownUserError)) {
		return Account{}, err
	}
	out, err := runCmd("useradd", "--system", "--user-group", "--home-dir", home, "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment", "Missive", name)
	if err != nil {
		return Account{}, fmt.Errorf("useradd %s: %v: %s", name, err, out)
	}
	j.Did("créer le compte système "+name, func() error {
		if out, err := runCmd("userdel", name); err != nil {
			return fmt.Errorf("userdel: %v: %s", err, out)
		}
		return nil
	})
	return LookupAccount(name)
}

// ChownTree gives dir and everything in it to the account.
func ChownTree(dir string, a Account) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, a.UID, a.GID)
	})
}
