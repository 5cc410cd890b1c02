/*
 * env.c: the environment: getenv, setenv, unsetenv, putenv. Strings that setenv
 * makes are never freed (other code may still hold them), as in most libcs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libc.h"

static char **owned;            /* an environ array we allocated, if any */
static volatile int env_lock;

static int find(const char *name, size_t len)
{
    if (!__environ)
        return -1;
    for (int i = 0; __environ[i]; i++)
        if (strncmp(__environ[i], name, len) == 0 && __environ[i][len] == '=')
            return i;
    return -1;
}

char *getenv(const char *name)
{
    size_t len = strlen(name);
    int i = find(name, len);
    return i < 0 ? NULL : __environ[i] + len + 1;
}

/* Puts entry (NAME=value) in place of slot i, or appends it (i < 0). */
static int put(char *entry, int i)
{
    if (i >= 0) {
        __environ[i] = entry;
        return 0;
    }
    int n = 0;
    while (__environ && __environ[n])
        n++;
    char **env = malloc((size_t)(n + 2) * sizeof *env);
    if (!env)
        return -1;
    if (n)
        memcpy(env, __environ, (size_t)n * sizeof *env);
    env[n] = entry;
    env[n + 1] = NULL;
    free(owned);
    __environ = owned = env;
    return 0;
}

int setenv(const char *name, const char *value, int overwrite)
{
    size_t len = strlen(name);
    if (!len || strchr(name, '=')) {
        errno = EINVAL;
        return -1;
    }
    __lock(&env_lock);
    int i = find(name, len), r = 0;
    if (i < 0 || overwrite) {
        size_t vlen = strlen(value);
        char *entry = malloc(len + vlen + 2);
        if (!entry) {
            r = -1;
        } else {
            memcpy(entry, name, len);
            entry[len] = '=';
            memcpy(entry + len + 1, value, vlen + 1);
            r = put(entry, i);
        }
    }
    __unlock(&env_lock);
    return r;
}

int putenv(char *entry)
{
    char *eq = strchr(entry, '=');
    if (!eq)
        return unsetenv(entry);
    __lock(&env_lock);
    int r = put(entry, find(entry, (size_t)(eq - entry)));
    __unlock(&env_lock);
    return r;
}

int unsetenv(const char *name)
{
    size_t len = strlen(name);
    if (!len || strchr(name, '=')) {
        errno = EINVAL;
        return -1;
    }
    __lock(&env_lock);
    int i;
    while ((i = find(name, len)) >= 0)
        for (; __environ[i]; i++)
            __environ[i] = __environ[i + 1];
    __unlock(&env_lock);
    return 0;
}
