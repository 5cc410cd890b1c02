/*
 * sh: the ALMOS shell.
 *
 * Usage: sh                  interactive (prompt "$ ", history and line editing
 *                            when stdin is a terminal); runs /etc/rc first if it
 *                            exists
 *        sh FILE             runs the commands in FILE
 *        sh -c COMMAND       runs one command line
 *
 * A command line holds pipelines separated by ';' (run in turn), '&&' (the next
 * runs if this one succeeded) or '||' (if it failed); a pipeline is up to
 * MAX_CMDS programs joined by '|', each with optional redirections:
 *     prog args [< in] [> out | >> out] [| prog args ...] [&& | || | ; ...]
 * Words may be quoted with '...' or "..."; $? is the last exit status, $$ the
 * shell's pid, $NAME an environment variable; # starts a comment.
 * Programs are looked up in /bin unless the name holds a '/'.
 * Built-ins: see HELP_TEXT below. An unknown program gives
 * "sh: NAME: not found" and status 127.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __ALMOS__
#include <almos.h>
#endif

#define PROMPT          "$ "
#define RC_FILE         "/etc/rc"
#define BIN_DIR         "/bin/"
#define LINE_LEN        1024            /* longest command line */
#define LINE_TOO_LONG   (-2)            /* read_line(): the line did not fit */
#define WORDS_LEN       (4 * LINE_LEN)  /* room for words after $ expansion */
#define MAX_ARGS        64
#define MAX_CMDS        16              /* programs in one pipeline */
#define PATH_LEN        256
#define MSG_LEN         512
#define COPY_BUF_LEN    8192
#define FILE_MODE       0644
#define DIR_MODE        0755

#define STATUS_OK        0
#define STATUS_FAIL      1
#define STATUS_SYNTAX    2
#define STATUS_NOT_FOUND 127
#define STATUS_SIGNAL_BASE 128

#define HELP_TEXT \
    "built-ins:\n" \
    "  cd [DIR]            change directory (default /)\n" \
    "  pwd                 print the working directory\n" \
    "  ls [-l] [PATH...]   list directories (-l: type and size)\n" \
    "  cat [FILE...]       print files (or stdin)\n" \
    "  echo [-n] [ARG...]  print the arguments\n" \
    "  cp SRC DST          copy a file (DST may be a directory)\n" \
    "  rm FILE...          remove files\n" \
    "  mkdir DIR...        create directories\n" \
    "  rmdir DIR...        remove empty directories\n" \
    "  ps                  list the processes\n" \
    "  kill [-SIG] PID...  send a signal (default TERM)\n" \
    "  sleep SECONDS       wait\n" \
    "  export NAME=VALUE   set an environment variable\n" \
    "  printenv [NAME...]  print the environment\n" \
    "  exec [-p N] PROG [ARG...]  run PROG on core N\n" \
    "  true, false         succeed, fail (status 0, 1)\n" \
    "  help                this text\n" \
    "  exit [STATUS], halt leave the shell\n" \
    "other words run /bin/PROG (or PROG if it holds a '/');\n" \
    "redirections: < FILE, > FILE, >> FILE; pipes: A | B | C;\n" \
    "A ; B in turn; A && B: B if A succeeded; A || B: B if A failed;\n" \
    "$? = last status, $$ = pid, $NAME = environment; # comment\n"

/* Core-selection request of exec -p, passed in the program's environment. */
#define CORE_ENV_NAME   "ALMOS_CORE"
#define NO_CORE         (-1)

/* One simple command of a pipeline. */
struct command {
    int argc;
    char *argv[MAX_ARGS + 1];
    char *in_file;      /* < FILE, or NULL */
    char *out_file;     /* > FILE or >> FILE, or NULL */
    int append;         /* 1 for >> */
};

typedef int (*builtin_fn)(int argc, char **argv, int in, int out);

static void move_fd(int from, int to);
static int wait_for(pid_t pid, const char *name);

extern char **environ;          /* POSIX: the application declares it */

static int last_status;         /* $? */
static int exit_requested;      /* set by exit/halt in the shell process itself */

/* ---- output helpers (unbuffered, so nothing is duplicated by fork) ---- */

static void fd_puts(int fd, const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

static void fd_printf(int fd, const char *fmt, ...)
{
    char msg[MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fd_puts(fd, msg);
}

static void error(const char *who, const char *what)
{
    fd_printf(2, "sh: %s: %s\n", who, what);
}

/* ---- reading lines: history and line editing ---- */

/*
 * The console delivers what the host's terminal sends: with the host in its usual
 * line mode (ALMOS's console has no raw mode), a whole line at Enter, the host having
 * echoed it and applied its own Backspace. The keys of the line are then replayed
 * here: Up and Down (ESC [ A, ESC [ B) fetch the previous and next commands of the
 * history, Left and Right (ESC [ D, ESC [ C), Home and End (ESC [ H, ESC [ F,
 * Ctrl-A, Ctrl-E) move the cursor, characters are inserted at the cursor, Backspace
 * and Delete (ESC [ 3 ~) remove one. When such keys were used the shell shows the
 * line it runs, since the terminal showed the keys, not their effect.
 */
#define HISTORY_LEN     32              /* commands kept for Up and Down */
#define KEY_CTRL_A      0x01
#define KEY_CTRL_E      0x05
#define KEY_BACKSPACE   0x08
#define KEY_ESC         0x1b
#define KEY_DEL         0x7f

static char history[HISTORY_LEN][LINE_LEN];
static int sigint_ignored;              /* by us: the programs we start get it back */
static int history_count;               /* commands ever added; the newest is history_count - 1 */

static void history_add(const char *line)
{
    if (line[0] == '\0')
        return;
    if (history_count > 0 &&
        strcmp(history[(history_count - 1) % HISTORY_LEN], line) == 0)
        return;
    snprintf(history[history_count % HISTORY_LEN], LINE_LEN, "%s", line);
    history_count++;
}

static int history_oldest(void)
{
    return history_count > HISTORY_LEN ? history_count - HISTORY_LEN : 0;
}

/* A line being edited: buf[0..len), the cursor, the history entry shown. */
struct editor {
    char *buf;
    int size, len, cursor;
    int hist;                           /* history_count: the new line */
    int esc;                            /* bytes of an escape sequence seen so far */
    char esc_arg;                       /* the digit of ESC [ N ~ */
    int moved;                          /* editing keys were used */
    int too_long;
};

static void editor_load(struct editor *ed, int hist)
{
    ed->hist = hist;
    if (hist == history_count)
        ed->len = 0;
    else
        ed->len = snprintf(ed->buf, ed->size, "%s", history[hist % HISTORY_LEN]);
    ed->cursor = ed->len;
}

static void editor_delete(struct editor *ed, int at)
{
    if (at < 0 || at >= ed->len)
        return;
    memmove(ed->buf + at, ed->buf + at + 1, ed->len - at - 1);
    ed->len--;
    if (ed->cursor > at)
        ed->cursor--;
}

static void editor_insert(struct editor *ed, char c)
{
    if (ed->len >= ed->size - 1) {
        ed->too_long = 1;               /* the rest of the line is read and dropped */
        return;
    }
    memmove(ed->buf + ed->cursor + 1, ed->buf + ed->cursor, ed->len - ed->cursor);
    ed->buf[ed->cursor++] = c;
    ed->len++;
}

/* The final byte of ESC [ X or ESC O X (X a letter, or ~ after a digit). */
static void editor_escape(struct editor *ed, char c)
{
    ed->moved = 1;
    switch (c) {
    case 'A':
        if (ed->hist > history_oldest())
            editor_load(ed, ed->hist - 1);
        break;
    case 'B':
        if (ed->hist < history_count)
            editor_load(ed, ed->hist + 1);
        break;
    case 'C':
        if (ed->cursor < ed->len)
            ed->cursor++;
        break;
    case 'D':
        if (ed->cursor > 0)
            ed->cursor--;
        break;
    case 'H':
        ed->cursor = 0;
        break;
    case 'F':
        ed->cursor = ed->len;
        break;
    case '~':
        if (ed->esc_arg == '3')
            editor_delete(ed, ed->cursor);
        break;
    }
}

/* Feeds one key byte (not the end of line) to the editor. */
static void editor_key(struct editor *ed, char c, int keys)
{
    if (ed->esc == 1) {                 /* after ESC: [ or O, else ESC was alone */
        ed->esc = (c == '[' || c == 'O') ? 2 : 0;
        ed->esc_arg = 0;
        if (ed->esc)
            return;
    } else if (ed->esc == 2) {          /* parameters, then the final byte */
        if (c >= '0' && c <= '9') {
            ed->esc_arg = c;
            return;
        }
        ed->esc = 0;
        editor_escape(ed, c);
        return;
    }
    if (keys && c == KEY_ESC) {
        ed->esc = 1;
    } else if (c == KEY_BACKSPACE || c == KEY_DEL) {
        editor_delete(ed, ed->cursor - 1);
    } else if (keys && c == KEY_CTRL_A) {
        ed->cursor = 0;
        ed->moved = 1;
    } else if (keys && c == KEY_CTRL_E) {
        ed->cursor = ed->len;
        ed->moved = 1;
    } else {
        editor_insert(ed, c);
    }
}

/*
 * Reads one line from fd into buf, a byte at a time so that the file offset
 * stays right for the programs we start. Returns its length, LINE_TOO_LONG, or -1
 * at end of input with nothing read. Backspaces edit the line; with `keys` (a
 * person typing) so do the history and cursor keys, and the line joins the history.
 */
static int read_line(int fd, char *buf, int size, int keys)
{
    struct editor ed = { buf, size, 0, 0, history_count, 0, 0, 0, 0 };
    int got_any = 0;
    char c;
    while (read(fd, &c, 1) == 1) {
        got_any = 1;
        if (c == '\n' || c == '\r')
            break;
        editor_key(&ed, c, keys);
    }
    buf[ed.len] = '\0';
    if (ed.too_long)
        return LINE_TOO_LONG;
    if (!got_any)
        return -1;
    if (keys) {
        if (ed.moved) {                 /* what the keys made of the line */
            fd_puts(1, buf);
            fd_puts(1, "\n");
        }
        history_add(buf);
    }
    return ed.len;
}

/* ---- lexing and parsing ---- */

enum token { T_WORD, T_IN, T_OUT, T_APPEND, T_PIPE, T_SEMI, T_AND, T_OR, T_END, T_ERROR };

struct lexer {
    const char *p;      /* next input character */
    char *out;          /* where the next word's characters go */
    char *out_end;
};

static int put_char(struct lexer *lx, char c)
{
    if (lx->out >= lx->out_end)
        return -1;
    *lx->out++ = c;
    return 0;
}

static int put_str(struct lexer *lx, const char *s)
{
    while (*s)
        if (put_char(lx, *s++) < 0)
            return -1;
    return 0;
}

static int is_name_char(char c, int first)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (!first && c >= '0' && c <= '9');
}

/* Expands the $ at lx->p: $?, $$ or $NAME; a lone $ stays itself. */
static int expand_dollar(struct lexer *lx)
{
    char num[16];
    const char *p = lx->p + 1;
    if (*p == '?' || *p == '$') {
        snprintf(num, sizeof num, "%d", *p == '?' ? last_status : (int)getpid());
        lx->p = p + 1;
        return put_str(lx, num);
    }
    if (!is_name_char(*p, 1)) {
        lx->p = p;
        return put_char(lx, '$');
    }
    char name[PATH_LEN];
    int n = 0;
    while (is_name_char(*p, 0)) {
        if (n < (int)sizeof name - 1)
            name[n++] = *p;
        p++;
    }
    name[n] = '\0';
    lx->p = p;
    const char *value = getenv(name);
    return value ? put_str(lx, value) : 0;
}

static int is_special(char c)
{
    return c == '\0' || c == ' ' || c == '\t' || c == '|' || c == '<' || c == '>' ||
           c == ';' || c == '&';
}

/* Returns the next token; for T_WORD, *word is the expanded, unquoted text. */
static enum token next_token(struct lexer *lx, char **word)
{
    while (*lx->p == ' ' || *lx->p == '\t')
        lx->p++;
    switch (*lx->p) {
    case '\0':
    case '#':
        return T_END;
    case '|':
        lx->p++;
        if (*lx->p == '|') {
            lx->p++;
            return T_OR;
        }
        return T_PIPE;
    case '&':
        if (lx->p[1] != '&') {
            error("syntax", "& alone (running in the background) is not supported");
            return T_ERROR;
        }
        lx->p += 2;
        return T_AND;
    case ';':
        lx->p++;
        return T_SEMI;
    case '<':
        lx->p++;
        return T_IN;
    case '>':
        lx->p++;
        if (*lx->p == '>') {
            lx->p++;
            return T_APPEND;
        }
        return T_OUT;
    }

    *word = lx->out;
    while (!is_special(*lx->p)) {
        char c = *lx->p;
        int err = 0;
        if (c == '\'' || c == '"') {
            lx->p++;
            while (*lx->p != c) {
                if (*lx->p == '\0') {
                    error("syntax", "unterminated quote");
                    return T_ERROR;
                }
                if (c == '"' && *lx->p == '$')
                    err = expand_dollar(lx);
                else
                    err = put_char(lx, *lx->p++);
                if (err)
                    break;
            }
            lx->p++;
        } else if (c == '$') {
            err = expand_dollar(lx);
        } else {
            err = put_char(lx, c);
            lx->p++;
        }
        if (err) {
            error("syntax", "line too long");
            return T_ERROR;
        }
    }
    if (put_char(lx, '\0') < 0) {
        error("syntax", "line too long");
        return T_ERROR;
    }
    return T_WORD;
}

/*
 * Splits the text at *line, up to its end or the next ';', '&&' or '||', into a
 * pipeline of at most MAX_CMDS commands, words stored in words[]; moves *line past
 * that separator (NULL at the end) and stores it in *sep (T_SEMI, T_AND, T_OR or
 * T_END). Returns the number of commands (0 for an empty one), or -1 on a syntax
 * error.
 */
static int parse_pipeline(const char **line, char *words, struct command *cmds,
                          enum token *sep)
{
    struct lexer lx = { *line, words, words + WORDS_LEN };
    int ncmds = 1;
    struct command *cmd = &cmds[0];
    memset(cmds, 0, MAX_CMDS * sizeof *cmds);

    for (;;) {
        char *word = NULL;
        enum token t = next_token(&lx, &word);
        switch (t) {
        case T_ERROR:
            return -1;
        case T_WORD:
            if (cmd->argc >= MAX_ARGS) {
                error("syntax", "too many arguments");
                return -1;
            }
            cmd->argv[cmd->argc++] = word;
            break;
        case T_IN:
        case T_OUT:
        case T_APPEND:
            if (next_token(&lx, &word) != T_WORD) {
                error("syntax", "redirection without a file name");
                return -1;
            }
            if (t == T_IN) {
                cmd->in_file = word;
            } else {
                cmd->out_file = word;
                cmd->append = (t == T_APPEND);
            }
            break;
        case T_PIPE:
            if (cmd->argc == 0) {
                error("syntax", "empty command before |");
                return -1;
            }
            if (ncmds == MAX_CMDS) {
                error("syntax", "too many commands in a pipeline");
                return -1;
            }
            cmd = &cmds[ncmds++];
            break;
        case T_SEMI:
        case T_AND:
        case T_OR:
        case T_END:
            *line = (t == T_END) ? NULL : lx.p;
            *sep = t;
            if (ncmds > 1 && cmd->argc == 0) {
                error("syntax", "empty command after |");
                return -1;
            }
            if (ncmds == 1 && cmd->argc == 0 && !cmd->in_file && !cmd->out_file) {
                if (t == T_AND || t == T_OR) {
                    error("syntax", t == T_AND ? "empty command before &&"
                                               : "empty command before ||");
                    return -1;
                }
                return 0;
            }
            return ncmds;
        }
    }
}

/* ---- built-in commands: (argc, argv, input fd, output fd) -> status ---- */

static int builtin_cd(int argc, char **argv, int in, int out)
{
    const char *dir = argc > 1 ? argv[1] : "/";
    if (chdir(dir) < 0) {
        error(dir, strerror(errno));
        return STATUS_FAIL;
    }
    return STATUS_OK;
}

static int builtin_pwd(int argc, char **argv, int in, int out)
{
    char cwd[PATH_LEN];
    if (getcwd(cwd, sizeof cwd) == NULL) {
        error("pwd", strerror(errno));
        return STATUS_FAIL;
    }
    fd_printf(out, "%s\n", cwd);
    return STATUS_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Joins dir and name into path (which holds PATH_LEN bytes). */
static void join_path(char *path, const char *dir, const char *name)
{
    size_t len = strlen(dir);
    const char *sep = (len > 0 && dir[len - 1] == '/') ? "" : "/";
    snprintf(path, PATH_LEN, "%s%s%s", dir, sep, name);
}

static char type_char(mode_t mode)
{
    if (S_ISDIR(mode))
        return 'd';
    if (S_ISCHR(mode))
        return 'c';
    return '-';
}

/* One ls line for `name` whose attributes are st. */
static void ls_entry(int out, const char *name, const struct stat *st, int long_format)
{
    if (long_format)
        fd_printf(out, "%c %9lu %s\n", type_char(st->st_mode),
                  (unsigned long)st->st_size, name);
    else
        fd_printf(out, "%s%s\n", name, S_ISDIR(st->st_mode) ? "/" : "");
}

static char *copy_string(const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = malloc(len);
    if (copy)
        memcpy(copy, s, len);
    return copy;
}

static int ls_dir(int out, const char *dir, int long_format)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        error(dir, strerror(errno));
        return STATUS_FAIL;
    }
    int count = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e = NULL;
    errno = 0;
    while (names && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (count == cap) {
            cap *= 2;
            char **bigger = realloc(names, cap * sizeof *names);
            if (bigger == NULL)
                break;
            names = bigger;
        }
        names[count] = copy_string(e->d_name);
        if (names[count])
            count++;
    }
    if (names && e == NULL && errno != 0)
        error(dir, strerror(errno));
    closedir(d);
    if (names == NULL) {
        error("ls", "out of memory");
        return STATUS_FAIL;
    }

    qsort(names, count, sizeof *names, compare_names);
    for (int i = 0; i < count; i++) {
        char path[PATH_LEN];
        struct stat st;
        join_path(path, dir, names[i]);
        if (stat(path, &st) < 0)
            memset(&st, 0, sizeof st);
        ls_entry(out, names[i], &st, long_format);
        free(names[i]);
    }
    free(names);
    return STATUS_OK;
}

static int builtin_ls(int argc, char **argv, int in, int out)
{
    int long_format = 0, first = 1, status = STATUS_OK;
    if (first < argc && strcmp(argv[first], "-l") == 0) {
        long_format = 1;
        first++;
    }
    if (first == argc)
        return ls_dir(out, ".", long_format);
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) {
            error(argv[i], strerror(errno));
            status = STATUS_FAIL;
        } else if (S_ISDIR(st.st_mode)) {
            if (argc - first > 1)
                fd_printf(out, "%s:\n", argv[i]);
            if (ls_dir(out, argv[i], long_format) != STATUS_OK)
                status = STATUS_FAIL;
        } else {
            ls_entry(out, argv[i], &st, long_format);
        }
    }
    return status;
}

/* Copies everything from fd `from` to fd `to`; returns 0 or -1. */
static int copy_fd(int from, int to)
{
    static char buf[COPY_BUF_LEN];
    ssize_t n;
    while ((n = read(from, buf, sizeof buf)) > 0) {
        char *p = buf;
        while (n > 0) {
            ssize_t w = write(to, p, (size_t)n);
            if (w <= 0)
                return -1;
            p += w;
            n -= w;
        }
    }
    return n < 0 ? -1 : 0;
}

static int builtin_cat(int argc, char **argv, int in, int out)
{
    int status = STATUS_OK;
    if (argc == 1)
        return copy_fd(in, out) < 0 ? STATUS_FAIL : STATUS_OK;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            error(argv[i], strerror(errno));
            status = STATUS_FAIL;
            continue;
        }
        if (copy_fd(fd, out) < 0) {
            error(argv[i], strerror(errno));
            status = STATUS_FAIL;
        }
        close(fd);
    }
    return status;
}

static int builtin_echo(int argc, char **argv, int in, int out)
{
    int first = 1, newline = 1;
    if (argc > 1 && strcmp(argv[1], "-n") == 0) {
        newline = 0;
        first = 2;
    }
    for (int i = first; i < argc; i++) {
        if (i > first)
            fd_puts(out, " ");
        fd_puts(out, argv[i]);
    }
    if (newline)
        fd_puts(out, "\n");
    return STATUS_OK;
}

static int builtin_cp(int argc, char **argv, int in, int out)
{
    if (argc != 3) {
        error("cp", "usage: cp SRC DST");
        return STATUS_SYNTAX;
    }
    const char *src = argv[1];
    char dst[PATH_LEN];
    struct stat st;
    if (stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode)) {
        const char *base = strrchr(src, '/');
        join_path(dst, argv[2], base ? base + 1 : src);
    } else {
        snprintf(dst, sizeof dst, "%s", argv[2]);
    }

    struct stat s1, s2;
    if (stat(src, &s1) == 0 && stat(dst, &s2) == 0 && s1.st_ino == s2.st_ino &&
        s1.st_dev == s2.st_dev) {
        error("cp", "source and destination are the same file");
        return STATUS_FAIL;
    }
    int from = open(src, O_RDONLY);
    if (from < 0) {
        error(src, strerror(errno));
        return STATUS_FAIL;
    }
    int to = open(dst, O_WRONLY | O_CREAT | O_TRUNC, FILE_MODE);
    if (to < 0) {
        error(dst, strerror(errno));
        close(from);
        return STATUS_FAIL;
    }
    int status = STATUS_OK;
    if (copy_fd(from, to) < 0) {
        error("cp", strerror(errno));
        status = STATUS_FAIL;
    }
    close(from);
    if (close(to) < 0)
        status = STATUS_FAIL;
    return status;
}

/* Applies op to every argument; used by rm, mkdir and rmdir. */
static int for_each_path(int argc, char **argv, int (*op)(const char *))
{
    int status = STATUS_OK;
    if (argc < 2) {
        fd_printf(2, "sh: %s: missing operand\n", argv[0]);
        return STATUS_SYNTAX;
    }
    for (int i = 1; i < argc; i++) {
        if (op(argv[i]) < 0) {
            error(argv[i], strerror(errno));
            status = STATUS_FAIL;
        }
    }
    return status;
}

static int make_dir(const char *path)
{
    return mkdir(path, DIR_MODE);
}

static int builtin_rm(int argc, char **argv, int in, int out)
{
    return for_each_path(argc, argv, unlink);
}

static int builtin_mkdir(int argc, char **argv, int in, int out)
{
    return for_each_path(argc, argv, make_dir);
}

static int builtin_rmdir(int argc, char **argv, int in, int out)
{
    return for_each_path(argc, argv, rmdir);
}

static int builtin_ps(int argc, char **argv, int in, int out)
{
#ifdef __ALMOS__
    /* The kernel prints its process table on our stdout: send it to `out`. */
    if (out == 1)
        return almos_ps() < 0 ? STATUS_FAIL : STATUS_OK;
    pid_t pid = fork();
    if (pid == 0) {
        move_fd(out, 1);
        _exit(almos_ps() < 0 ? STATUS_FAIL : STATUS_OK);
    }
    return pid < 0 ? STATUS_FAIL : wait_for(pid, "ps");
#else
    fd_printf(out, "  PID CMD\n%5d sh\n", (int)getpid());
    return STATUS_OK;
#endif
}

struct signal_name {
    const char *name;
    int number;
};

static const struct signal_name signal_names[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
    { "ABRT", SIGABRT }, { "KILL", SIGKILL }, { "SEGV", SIGSEGV }, { "TERM", SIGTERM },
    { "BUS", SIGBUS }, { "PIPE", SIGPIPE },
};
#define NSIGNAL_NAMES (sizeof signal_names / sizeof signal_names[0])

static int signal_number(const char *s)
{
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < NSIGNAL_NAMES; i++)
        if (strcmp(s, signal_names[i].name) == 0)
            return signal_names[i].number;
    char *end;
    long n = strtol(s, &end, 10);
    return (*s != '\0' && *end == '\0' && n >= 0) ? (int)n : -1;
}

static const char *signal_name(int sig)
{
    for (size_t i = 0; i < NSIGNAL_NAMES; i++)
        if (signal_names[i].number == sig)
            return signal_names[i].name;
    return "?";
}

static int builtin_kill(int argc, char **argv, int in, int out)
{
    int sig = SIGTERM, first = 1, status = STATUS_OK;
    if (argc > 1 && argv[1][0] == '-') {
        sig = signal_number(argv[1] + 1);
        if (sig < 0) {
            error(argv[1], "unknown signal");
            return STATUS_SYNTAX;
        }
        first = 2;
    }
    if (first == argc) {
        error("kill", "usage: kill [-SIG] PID...");
        return STATUS_SYNTAX;
    }
    for (int i = first; i < argc; i++) {
        char *end;
        long pid = strtol(argv[i], &end, 0);
        if (*argv[i] == '\0' || *end != '\0') {
            error(argv[i], "not a pid");
            status = STATUS_FAIL;
        } else if (kill((pid_t)pid, sig) < 0) {
            error(argv[i], strerror(errno));
            status = STATUS_FAIL;
        }
    }
    return status;
}

static int builtin_sleep(int argc, char **argv, int in, int out)
{
    if (argc != 2) {
        error("sleep", "usage: sleep SECONDS");
        return STATUS_SYNTAX;
    }
    char *end;
    long secs = strtol(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || secs < 0) {
        error("sleep", "expects a number of seconds");
        return STATUS_SYNTAX;
    }
    sleep((unsigned)secs);
    return STATUS_OK;
}

static int builtin_export(int argc, char **argv, int in, int out)
{
    int status = STATUS_OK;
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL || eq == argv[i]) {
            error(argv[i], "usage: export NAME=VALUE");
            status = STATUS_SYNTAX;
            continue;
        }
        *eq = '\0';
        if (setenv(argv[i], eq + 1, 1) < 0) {
            error(argv[i], strerror(errno));
            status = STATUS_FAIL;
        }
        *eq = '=';
    }
    return status;
}

static int builtin_printenv(int argc, char **argv, int in, int out)
{
    if (argc > 1) {
        int status = STATUS_OK;
        for (int i = 1; i < argc; i++) {
            const char *value = getenv(argv[i]);
            if (value)
                fd_printf(out, "%s\n", value);
            else
                status = STATUS_FAIL;
        }
        return status;
    }
    for (char **e = environ; e && *e; e++)
        fd_printf(out, "%s\n", *e);
    return STATUS_OK;
}

static int builtin_true(int argc, char **argv, int in, int out)
{
    return STATUS_OK;
}

static int builtin_false(int argc, char **argv, int in, int out)
{
    return STATUS_FAIL;
}

static int builtin_help(int argc, char **argv, int in, int out)
{
    fd_puts(out, HELP_TEXT);
    return STATUS_OK;
}

static int builtin_exit(int argc, char **argv, int in, int out)
{
    exit_requested = 1;
    if (argc < 2)
        return last_status;
    char *end;
    long code = strtol(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0') {
        error("exit", "numeric argument required");
        return STATUS_SYNTAX;
    }
    return (int)(code & 0xFF);
}

struct builtin {
    const char *name;
    builtin_fn fn;
};

static const struct builtin builtins[] = {
    { "cd", builtin_cd },       { "pwd", builtin_pwd },     { "ls", builtin_ls },
    { "cat", builtin_cat },     { "echo", builtin_echo },   { "cp", builtin_cp },
    { "rm", builtin_rm },       { "mkdir", builtin_mkdir }, { "rmdir", builtin_rmdir },
    { "ps", builtin_ps },       { "kill", builtin_kill },   { "sleep", builtin_sleep },
    { "export", builtin_export }, { "printenv", builtin_printenv },
    { "true", builtin_true },   { "false", builtin_false },
    { "help", builtin_help },   { "exit", builtin_exit },   { "halt", builtin_exit },
};
#define NBUILTINS (sizeof builtins / sizeof builtins[0])

static builtin_fn find_builtin(const char *name)
{
    for (size_t i = 0; i < NBUILTINS; i++)
        if (strcmp(name, builtins[i].name) == 0)
            return builtins[i].fn;
    return NULL;
}

/* ---- running programs ---- */

/* Finds the program file for name into path; returns 0, or -1 if there is none. */
static int find_program(const char *name, char *path)
{
    struct stat st;
    if (strchr(name, '/'))
        snprintf(path, PATH_LEN, "%s", name);
    else
        snprintf(path, PATH_LEN, "%s%s", BIN_DIR, name);
    return (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) ? 0 : -1;
}

/* Opens cmd's redirections into *in / *out (left alone when absent). */
static int open_redirections(const struct command *cmd, int *in, int *out)
{
    if (cmd->in_file) {
        *in = open(cmd->in_file, O_RDONLY);
        if (*in < 0) {
            error(cmd->in_file, strerror(errno));
            return -1;
        }
    }
    if (cmd->out_file) {
        int flags = O_WRONLY | O_CREAT | (cmd->append ? O_APPEND : O_TRUNC);
        *out = open(cmd->out_file, flags, FILE_MODE);
        if (*out < 0) {
            error(cmd->out_file, strerror(errno));
            if (cmd->in_file)
                close(*in);
            return -1;
        }
    }
    return 0;
}

/* In a child: makes fd `from` the descriptor `to`. */
static void move_fd(int from, int to)
{
    if (from != to) {
        dup2(from, to);
        close(from);
    }
}

/*
 * In a forked child: runs cmd with its redirections over the given standard
 * input and output, and never returns.
 */
static void child_run(struct command *cmd, int core)
{
    int in = 0, out = 1;
    if (sigint_ignored)                 /* Ctrl-C reaches the programs we start */
        signal(SIGINT, SIG_DFL);
    if (open_redirections(cmd, &in, &out) < 0)
        _exit(STATUS_FAIL);
    move_fd(in, 0);
    move_fd(out, 1);

    builtin_fn fn = find_builtin(cmd->argv[0]);
    if (fn)
        _exit(fn(cmd->argc, cmd->argv, 0, 1));

    char path[PATH_LEN];
    if (find_program(cmd->argv[0], path) < 0) {
        error(cmd->argv[0], "not found");
        _exit(STATUS_NOT_FOUND);
    }
    if (core != NO_CORE) {
        /* TODO: libc_stubs has no call that chooses the core of a new process
         * (ALMOS-MKH's place_fork); until it does, the request travels in the
         * environment, for the kernel's exec or the program to honour. */
        char value[16];
        snprintf(value, sizeof value, "%d", core);
        setenv(CORE_ENV_NAME, value, 1);
    }
    execv(path, cmd->argv);
    error(cmd->argv[0], strerror(errno));
    _exit(STATUS_NOT_FOUND);
}

/* Waits for pid and turns its wait status into a shell status. */
static int wait_for(pid_t pid, const char *name)
{
    int wstatus;
    while (waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR) {
            error(name, strerror(errno));
            return STATUS_FAIL;
        }
    }
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) {
        int sig = WTERMSIG(wstatus);
        fd_printf(2, "sh: %s: killed by signal %d (SIG%s)\n", name, sig, signal_name(sig));
        return STATUS_SIGNAL_BASE + sig;
    }
    return STATUS_FAIL;
}

/* Runs a program in a child process and waits for it. */
static int run_external(struct command *cmd, int core)
{
    char path[PATH_LEN];
    if (find_program(cmd->argv[0], path) < 0) {
        error(cmd->argv[0], "not found");
        return STATUS_NOT_FOUND;
    }
    pid_t pid = fork();
    if (pid < 0) {
        error("fork", strerror(errno));
        return STATUS_FAIL;
    }
    if (pid == 0)
        child_run(cmd, core);
    return wait_for(pid, cmd->argv[0]);
}

/* exec [-p N] PROG [ARG...]: runs PROG (on core N). */
static int run_exec(struct command *cmd)
{
    int core = NO_CORE, skip = 1;
    if (cmd->argc > 2 && strcmp(cmd->argv[1], "-p") == 0) {
        char *end;
        core = (int)strtol(cmd->argv[2], &end, 0);
        if (*end != '\0' || core < 0) {
            error("exec", "-p needs a core number");
            return STATUS_SYNTAX;
        }
        skip = 3;
    }
    if (cmd->argc <= skip) {
        error("exec", "usage: exec [-p N] PROG [ARG...]");
        return STATUS_SYNTAX;
    }
    memmove(cmd->argv, cmd->argv + skip, (cmd->argc - skip + 1) * sizeof cmd->argv[0]);
    cmd->argc -= skip;
    return run_external(cmd, core);
}

/* Runs one command (no pipe) in the shell process or in one child. */
static int run_simple(struct command *cmd)
{
    if (cmd->argc == 0) {
        /* Redirections alone, like "> file": open (and create) and close. */
        int in = 0, out = 1;
        if (open_redirections(cmd, &in, &out) < 0)
            return STATUS_FAIL;
        if (in != 0)
            close(in);
        if (out != 1)
            close(out);
        return STATUS_OK;
    }
    if (strcmp(cmd->argv[0], "exec") == 0)
        return run_exec(cmd);

    builtin_fn fn = find_builtin(cmd->argv[0]);
    if (fn == NULL)
        return run_external(cmd, NO_CORE);

    int in = 0, out = 1;
    if (open_redirections(cmd, &in, &out) < 0)
        return STATUS_FAIL;
    int status = fn(cmd->argc, cmd->argv, in, out);
    if (in != 0)
        close(in);
    if (out != 1)
        close(out);
    return status;
}

/* Runs cmds[0] | cmds[1] | ... each in its own child; the status is the last one's. */
static int run_pipeline(struct command *cmds, int n)
{
    pid_t pids[MAX_CMDS];
    int in = 0, started = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        int fds[2] = { -1, 1 };         /* the last command writes to our stdout */
        if (i < n - 1 && pipe(fds) < 0) {
            error("pipe", strerror(errno));
            failed = 1;
            break;
        }
        pid_t pid = fork();
        if (pid == 0) {
            if (fds[0] >= 0)
                close(fds[0]);
            move_fd(in, 0);
            move_fd(fds[1], 1);
            child_run(&cmds[i], NO_CORE);
        }
        if (in != 0)
            close(in);
        if (fds[1] != 1)
            close(fds[1]);
        in = fds[0];
        if (pid < 0) {
            error("fork", strerror(errno));
            failed = 1;
            break;
        }
        pids[started++] = pid;
    }
    if (failed && in > 0)
        close(in);
    int status = STATUS_FAIL;
    for (int i = 0; i < started; i++)
        status = wait_for(pids[i], cmds[i].argv[0]);
    return failed ? STATUS_FAIL : status;
}

/*
 * Runs one command line, pipelines separated by ';', '&&' and '||', and updates $?.
 * The whole line is parsed first, so that a syntax error runs none of it; words are
 * expanded as each pipeline comes, so that $? is the status of the one before.
 */
static void run_line(const char *line)
{
    static char words[WORDS_LEN];
    struct command cmds[MAX_CMDS];
    enum token sep = T_SEMI;
    for (const char *p = line; p;) {
        enum token prev = sep;
        int n = parse_pipeline(&p, words, cmds, &sep);
        if (n == 0 && (prev == T_AND || prev == T_OR)) {
            error("syntax", prev == T_AND ? "empty command after &&" : "empty command after ||");
            n = -1;
        }
        if (n < 0) {
            last_status = STATUS_SYNTAX;
            return;
        }
    }
    enum token before = T_SEMI;         /* the separator before this pipeline */
    while (line && !exit_requested) {
        int n = parse_pipeline(&line, words, cmds, &sep);
        if (n < 0) {
            last_status = STATUS_SYNTAX;
            return;
        }
        int skip = (before == T_AND && last_status != STATUS_OK) ||
                   (before == T_OR && last_status == STATUS_OK);
        if (skip || n == 0)
            ;                           /* $? stays that of the last pipeline run */
        else if (n == 1)
            last_status = run_simple(&cmds[0]);
        else
            last_status = run_pipeline(cmds, n);
        before = sep;
    }
}

/* Runs every line read from fd until its end or exit; prompts if asked. */
static void run_fd(int fd, int prompt)
{
    char line[LINE_LEN];
    while (!exit_requested) {
        if (prompt)
            fd_puts(1, PROMPT);
        int n = read_line(fd, line, sizeof line, prompt);
        if (n == LINE_TOO_LONG) {
            error("line", "too long (1023 characters at most): not run");
            last_status = STATUS_SYNTAX;
            continue;
        }
        if (n < 0)
            break;
        run_line(line);
    }
}

/* Runs the commands of a file; returns -1 if it cannot be opened. */
static int run_file(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    run_fd(fd, 0);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{

    if (argc > 2 && strcmp(argv[1], "-c") == 0) {
        run_line(argv[2]);
        return last_status;
    }
    if (argc > 1) {
        if (run_file(argv[1]) < 0) {
            error(argv[1], strerror(errno));
            return STATUS_NOT_FOUND;
        }
        return last_status;
    }

    run_file(RC_FILE);
    if (!exit_requested) {
        int interactive = isatty(0);
        if (interactive && signal(SIGINT, SIG_IGN) != SIG_IGN)
            sigint_ignored = 1;         /* Ctrl-C kills the command, not the shell */
        run_fd(0, interactive);
        if (interactive && !exit_requested)
            fd_puts(1, "\n");
    }
    return last_status;
}
