package process

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// unzipLimits bounds what one deployment package may unpack to, so that a
// zip bomb cannot fill the disk. The sizes actually written are counted; the
// sizes the zip declares are only used to refuse early.
type unzipLimits struct {
	maxBytes   int64 // file contents and symlink targets, in bytes
	maxEntries int   // files, folders and symlinks
}

// defaultUnzipLimits: Lambda's 250 MB unzipped (262,144,000 bytes); the entry
// count is Portico's own guard, far above any real package.
var defaultUnzipLimits = unzipLimits{maxBytes: 250 << 20, maxEntries: 100_000}

var (
	errUnsafePath    = errors.New("unsafe path")
	errUnsafeSymlink = errors.New("unsafe symlink")
	errZipTooLarge   = errors.New("package too large")
)

// prepareZip unpacks the package once (see unpackZip) and returns the
// bootstrap at its root; a package without an executable bootstrap is not
// kept.
func prepareZip(ctx context.Context, zipPath, cacheDir string, lim unzipLimits) (Artifact, error) {
	dir, err := unpackZip(ctx, zipPath, cacheDir, lim, func(dir string) error { return checkBootstrap(dir, zipPath) })
	if err != nil {
		return Artifact{}, err
	}
	return Artifact{Bootstrap: filepath.Join(dir, "bootstrap"), TaskRoot: dir}, nil
}

// unpackZip unpacks the package once into cacheDir/zip/<sha256 of the zip>
// and returns that folder, if check accepts it. The folder is filled under a
// temporary name and then renamed, so it is seen whole or not at all.
func unpackZip(ctx context.Context, zipPath, cacheDir string, lim unzipLimits, check func(dir string) error) (string, error) {
	f, err := os.Open(zipPath)
	if err != nil {
		return "", fmt.Errorf("process: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return "", fmt.Errorf("process: zip %s: %w", zipPath, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	final := filepath.Join(cacheDir, "zip", sum)
	err = fillCacheEntry(ctx, "zip "+zipPath, filepath.Join(cacheDir, "zip"), sum,
		func(dir string) (bool, error) {
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return false, nil
			}
			return true, check(dir)
		},
		func(tmp string) error {
			zr, err := zip.NewReader(f, size)
			if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // unzip checks every name itself
				return fmt.Errorf("process: zip %s: %w", zipPath, err)
			}
			if err := unzip(ctx, tmp, zr, lim); err != nil {
				return fmt.Errorf("process: zip %s: %w", zipPath, err)
			}
			return check(tmp)
		})
	if err != nil {
		return "", err
	}
	return final, nil
}

// unzip writes the entries of zr under dst, keeping their permission bits.
// It refuses entries whose name leaves dst (absolute, "..", backslash),
// symlinks that could point outside (absolute targets, or any ".."), special
// files, and packages over lim. Every write goes through an os.Root, so even
// a link it failed to foresee cannot make it write outside dst.
func unzip(ctx context.Context, dst string, zr *zip.Reader, lim unzipLimits) error {
	if len(zr.File) > lim.maxEntries {
		return fmt.Errorf("%w: %d entries, the limit is %d", errZipTooLarge, len(zr.File), lim.maxEntries)
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
		if f.UncompressedSize64 > uint64(lim.maxBytes) || declared > uint64(lim.maxBytes) {
			return fmt.Errorf("%w: unpacks to more than %d bytes", errZipTooLarge, lim.maxBytes)
		}
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()

	budget := lim.maxBytes
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := unzipEntry(root, f, budget)
		if err != nil {
			return fmt.Errorf("entry %q: %w", f.Name, err)
		}
		if budget -= n; budget < 0 {
			return fmt.Errorf("%w: unpacks to more than %d bytes", errZipTooLarge, lim.maxBytes)
		}
	}
	return nil
}

// unzipEntry writes one entry and returns the bytes it took from budget.
func unzipEntry(root *os.Root, f *zip.File, budget int64) (int64, error) {
	name, err := entryName(f.Name)
	if err != nil {
		return 0, err
	}
	mode := f.Mode()
	if dir := filepath.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return 0, err
		}
	}
	switch {
	case mode.IsDir():
		// Keep the owner's rights so the cache can always be removed.
		if err := root.MkdirAll(name, 0o755); err != nil {
			return 0, err
		}
		return 0, root.Chmod(name, mode.Perm()|0o700)
	case mode&fs.ModeSymlink != 0:
		return unzipSymlink(root, name, f, budget)
	case mode.IsRegular():
		return unzipFile(root, name, f, budget)
	}
	return 0, fmt.Errorf("unsupported file type %v", mode.Type())
}

// entryName turns a zip entry name into a path that stays inside the folder.
func entryName(name string) (string, error) {
	why := ""
	switch {
	case name == "":
		why = "empty name"
	case strings.ContainsAny(name, "\\\x00"):
		why = "backslash or NUL in the name"
	case strings.HasPrefix(name, "/"):
		why = "absolute path"
	case hasDotDot(name):
		why = `".." in the path`
	case !filepath.IsLocal(filepath.FromSlash(path.Clean(name))):
		why = "path outside the package"
	default:
		return filepath.FromSlash(path.Clean(name)), nil
	}
	return "", fmt.Errorf("%w: %s", errUnsafePath, why)
}

func hasDotDot(p string) bool {
	for part := range strings.SplitSeq(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// unzipFile writes one regular file, at most budget+1 bytes of it, with the
// entry's permission bits (umask aside). A name already written is refused.
func unzipFile(root *os.Root, name string, f *zip.File, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if err == nil {
		err = out.Chmod(f.Mode().Perm())
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// unzipSymlink makes a symlink whose target is relative and free of "..":
// resolved from inside the folder, such a link can only lead further in.
func unzipSymlink(root *os.Root, name string, f *zip.File, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, min(budget+1, 4096)))
	if err != nil {
		return 0, err
	}
	target := string(b)
	why := ""
	switch {
	case target == "":
		why = "empty target"
	case strings.ContainsAny(target, "\\\x00"):
		why = "backslash or NUL in the target"
	case strings.HasPrefix(target, "/") || filepath.IsAbs(target) || filepath.VolumeName(target) != "":
		why = "absolute target"
	case hasDotDot(target):
		why = `".." in the target`
	default:
		if err := root.Symlink(filepath.FromSlash(target), name); err != nil {
			return 0, err
		}
		return int64(len(b)), nil
	}
	return 0, fmt.Errorf("%w to %q: %s", errUnsafeSymlink, target, why)
}
