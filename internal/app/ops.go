package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/store"
)

func userCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) < 1 {
		return errors.New("user needs a subcommand: add, reset-password or disable")
	}
	sub, rest := args[0], args[1:]
	var username, name, role string
	var node int64
	c, err := parse("user "+sub, rest, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "the account's user name")
		if sub == "add" {
			fs.StringVar(&name, "name", "", "display name")
			fs.StringVar(&role, "role", "", "role to grant (sysadmin, auditor, city_official, district_official, principal, school_admin, psych_teacher, class_teacher, teacher, agency_user)")
			fs.Int64Var(&node, "node", 0, "id of the district, school, class or agency the role is bound to")
		}
	})
	if err != nil {
		return err
	}
	if username == "" {
		return errors.New("--username is required")
	}
	ctx := context.Background()
	st, err := openStore(ctx, c, newLogger(stderr, c.LogLevel))
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "add":
		pw := os.Getenv("HUHANG_USER_PASSWORD")
		generated := pw == ""
		if generated {
			pw = auth.GeneratePassword()
		} else if err := auth.CheckPasswordPolicy(pw, username); err != nil {
			return fmt.Errorf("HUHANG_USER_PASSWORD: %w", err)
		}
		hash, err := auth.HashPassword(pw, auth.DefaultParams)
		if err != nil {
			return err
		}
		var asgs []authz.Assignment
		if role != "" {
			if !authz.Role(role).Valid() {
				return fmt.Errorf("unknown role %q", role)
			}
			asgs = append(asgs, authz.At(authz.Role(role), node))
		}
		if name == "" {
			name = username
		}
		id, err := st.CreateUser(ctx, store.SystemActor, store.NewUser{Username: username, DisplayName: name, PasswordHash: hash, Assignments: asgs})
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "created account %s (id %d)\n", store.NormalizeUsername(username), id)
		if generated {
			fmt.Fprintf(stdout, "password: %s (shown once)\n", pw)
		}
	case "reset-password":
		u, err := st.UserByUsername(ctx, username)
		if err != nil {
			return fmt.Errorf("no account named %q", username)
		}
		pw := auth.GeneratePassword()
		hash, err := auth.HashPassword(pw, auth.DefaultParams)
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, store.SystemActor, u.ID, hash); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new password for %s: %s (shown once; all sessions ended)\n", u.Username, pw)
	case "disable":
		u, err := st.UserByUsername(ctx, username)
		if err != nil {
			return fmt.Errorf("no account named %q", username)
		}
		if err := st.SetDisabled(ctx, store.SystemActor, u.ID, true); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled %s and ended its sessions\n", u.Username)
	default:
		return fmt.Errorf("unknown user subcommand %q (add, reset-password, disable)", sub)
	}
	return nil
}

// explain turns a validation error into a sentence for the terminal.
func explain(err error) error {
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		msg := "invalid input:"
		for _, f := range ve.Fields {
			msg += fmt.Sprintf(" %s (%s)", f.Field, f.Key)
		}
		return errors.New(msg)
	}
	return err
}

func backup(args []string, stdout, stderr io.Writer) error {
	var out string
	c, err := parse("backup", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "file to write the copy to (must not exist)")
	})
	if err != nil {
		return err
	}
	if c.DatabaseURL != "" {
		return errors.New("PostgreSQL is backed up with its own tools: pg_dump --format=custom --file=huhang.dump \"$HUHANG_DATABASE_URL\" (see README, Operations); keep the key file with it")
	}
	if out == "" {
		return errors.New("--out FILE is required")
	}
	ctx := context.Background()
	st, err := openStore(ctx, c, newLogger(stderr, c.LogLevel))
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Backup(ctx, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote a consistent copy of the database to %s (%d bytes). The key file %s is NOT in it: back it up separately.\n", out, n, c.KeyPath())
	return nil
}

func auditCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) < 1 || args[0] != "verify" {
		return errors.New("usage: huhang audit verify")
	}
	_, st, err := command("audit verify", args[1:], stderr, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	n, err := st.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("audit log verification FAILED after %d good entries: %w", n, err)
	}
	fmt.Fprintf(stdout, "audit log OK: %d entries, chain intact (%s)\n", n, st.AuditAlgorithm())
	return nil
}
