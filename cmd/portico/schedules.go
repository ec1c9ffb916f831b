package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// schedules prints each schedule's next fire times, in UTC and in the
// schedule's time zone, without starting anything.
func schedules(args []string, stdout io.Writer, now func() time.Time) error {
	fs := flag.NewFlagSet("schedules", flag.ContinueOnError)
	file := fs.String("config", "", "config file")
	n := fs.Int("n", 5, "how many fire times per schedule")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 1000 {
		return usageError{"-n: want 1 to 1000"}
	}
	cfg, err := loadConfig(*file)
	if err != nil {
		return err
	}
	if len(cfg.Schedules) == 0 {
		fmt.Fprintln(stdout, "no schedules")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCHEDULE\tFUNCTION\tEXPRESSION\tUTC\tLOCAL")
	for i := range cfg.Schedules {
		sc := &cfg.Schedules[i]
		times, err := sc.Next(now(), *n)
		if err != nil {
			return fmt.Errorf("schedule %s: %w", sc.Name, err)
		}
		if len(times) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t(never fires again)\t\n", sc.Name, sc.Function, sc.Expression)
		}
		for _, t := range times {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", sc.Name, sc.Function, sc.Expression,
				t.UTC().Format(time.RFC3339), t.Format("2006-01-02 15:04:05 MST"))
		}
	}
	return tw.Flush()
}
