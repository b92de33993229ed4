/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qi-bench-startup: the wall time of `qi --headless version`, against
 * /bin/true and `python3 -c pass` measured in the same run, and against an
 * empty program linked to libqi (the floor: loading GLib, GIO, json-glib).
 * More qi commands may follow RUNS, each one argument ("gen050 hello",
 * "status"): the first is held to the goal of a verb of one addon among
 * many (15 ms).
 *
 * Each command runs RUNS times (after WARMUP runs that are not counted),
 * interleaved so that all three see the same machine state. Prints the
 * median, the 10th and 90th percentiles, and the ratios of the medians.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

extern char **environ;

#define MAX_RUNS 1000
#define N_FIXED 4
#define MAX_COMMANDS 8

typedef struct
{
  const char *label;
  char       *argv[16];
  double      samples[MAX_RUNS];
} Command;

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
run_once (Command *command)
{
  posix_spawn_file_actions_t actions;
  double start, end;
  pid_t pid;
  int status;

  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);

  start = now_ms ();
  if (posix_spawn (&pid, command->argv[0], &actions, NULL, command->argv, environ) != 0)
    {
      fprintf (stderr, "qi-bench-startup: cannot run %s\n", command->argv[0]);
      exit (1);
    }
  if (waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      fprintf (stderr, "qi-bench-startup: %s failed\n", command->label);
      exit (1);
    }
  end = now_ms ();

  posix_spawn_file_actions_destroy (&actions);
  return end - start;
}

static int
compare (const void *a,
         const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (double *sorted,
            int     n,
            double  p)
{
  int i = (int) (p * (n - 1) + 0.5);

  return sorted[i];
}

int
main (int    argc,
      char **argv)
{
  int runs = 50, warmup = 5;
  static Command commands[MAX_COMMANDS] = {
    { "qi --headless version", { NULL, "--headless", "version", NULL } },
    { "/bin/true", { "/bin/true", NULL } },
    { "python3 -c pass", { "/usr/bin/python3", "-c", "pass", NULL } },
    { "empty program + libqi", { NULL, NULL } },
  };
  double medians[MAX_COMMANDS];
  int n_commands = N_FIXED;

  if (argc < 3)
    {
      fprintf (stderr, "usage: %s PATH-TO-QI PATH-TO-QI-BENCH-FLOOR [RUNS [\"QI ARGS\"…]]\n", argv[0]);
      return 2;
    }
  commands[0].argv[0] = argv[1];
  commands[3].argv[0] = argv[2];
  if (argc > 3)
    runs = atoi (argv[3]);
  if (runs < 1 || runs > MAX_RUNS)
    {
      fprintf (stderr, "qi-bench-startup: RUNS must be 1 to %d\n", MAX_RUNS);
      return 2;
    }
  for (int a = 4; a < argc && n_commands < MAX_COMMANDS; a++, n_commands++)
    {
      Command *command = &commands[n_commands];
      char *words = strdup (argv[a]);
      char *label = malloc (strlen (argv[a]) + 16);
      int n = 0;

      sprintf (label, "qi --headless %s", argv[a]);
      command->label = label;
      command->argv[n++] = argv[1];
      command->argv[n++] = "--headless";
      for (char *word = strtok (words, " "); word != NULL && n < 15; word = strtok (NULL, " "))
        command->argv[n++] = word;
      command->argv[n] = NULL;
    }

  for (int i = 0; i < warmup; i++)
    for (int c = 0; c < n_commands; c++)
      run_once (&commands[c]);

  for (int i = 0; i < runs; i++)
    for (int c = 0; c < n_commands; c++)
      commands[c].samples[i] = run_once (&commands[c]);

  printf ("startup, %d runs each (after %d warm-up runs), wall time in ms\n", runs, warmup);
  printf ("%-32s %8s %8s %8s\n", "command", "median", "p10", "p90");
  for (int c = 0; c < n_commands; c++)
    {
      qsort (commands[c].samples, runs, sizeof (double), compare);
      medians[c] = percentile (commands[c].samples, runs, 0.5);
      printf ("%-32s %8.3f %8.3f %8.3f\n", commands[c].label, medians[c],
              percentile (commands[c].samples, runs, 0.1),
              percentile (commands[c].samples, runs, 0.9));
    }
  printf ("ratio qi / true:    %.2f\n", medians[0] / medians[1]);
  printf ("ratio qi / python3: %.2f\n", medians[0] / medians[2]);
  printf ("ratio qi / floor:   %.2f (qi's own work: %.3f ms)\n", medians[0] / medians[3],
          medians[0] - medians[3]);
  printf ("target: qi --headless version median under 5 ms: %s\n", medians[0] < 5.0 ? "met" : "NOT met");
  for (int c = N_FIXED; c < n_commands; c++)
    printf ("ratio %s / version: %.2f; / floor: %.2f\n", commands[c].label, medians[c] / medians[0],
            medians[c] / medians[3]);
  if (n_commands > N_FIXED)
    printf ("target: %s median under 15 ms: %s\n", commands[N_FIXED].label,
            medians[N_FIXED] < 15.0 ? "met" : "NOT met");

  return 0;
}
