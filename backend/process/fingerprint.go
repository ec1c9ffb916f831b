package process

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// CodeFingerprint identifies the function's code as it is on disk now: the
// names, sizes and modification times of every file of its package (a
// folder, a .zip, an executable, a Go source folder). A reload compares it
// with the one taken when the function started, so code edited on disk
// gets a new function even when the config did not change. It reads
// metadata only, never file contents, and leaves out what running the code
// writes into it (Python's __pycache__).
func (f *Function) CodeFingerprint() (string, error) {
	h := sha256.New()
	for _, root := range []string{f.cfg.Code, f.cfg.Source, f.codeHandler()} {
		if root == "" {
			continue
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			// Python writes its bytecode cache into the code as it runs,
			// and a folder's own time changes with that: files only.
			if d.IsDir() {
				if d.Name() == "__pycache__" {
					return filepath.SkipDir
				}
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			h.Write([]byte(path + "\x00" + strconv.FormatInt(info.Size(), 10) + "\x00" + strconv.FormatInt(info.ModTime().UnixNano(), 10) + "\n"))
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// codeHandler is Handler when it names the code (an executable, a folder
// or a .zip), which it does when there is no Code.
func (f *Function) codeHandler() string {
	if f.cfg.Code != "" {
		return ""
	}
	return f.cfg.Handler
}
