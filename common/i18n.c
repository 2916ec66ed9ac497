/*
 * i18n: see i18n.h.
 */
#include "i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifndef PERMIT_LOCALEDIR
#define PERMIT_LOCALEDIR "/usr/share/locale"
#endif

/*
 * Whether this program is the one built in the build folder (not an installed copy): then the
 * catalogs built beside it are the ones that match its msgids.
 */
static bool
run_from_build(void)
{
#ifdef PERMIT_BUILD_BINDIR
    char exe[PATH_MAX], dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (n <= 0)
        return false;
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    if (realpath(PERMIT_BUILD_BINDIR, dir) == NULL)
        return false;
    return strcmp(exe, dir) == 0;
#else
    return false;
#endif
}

void
i18n_init(const char *domain)
{
    const char *dir = getenv("PERMIT_LOCALEDIR");

    setlocale(LC_MESSAGES, "");
    if (util_empty(dir)) {
#ifdef PERMIT_BUILD_LOCALEDIR
        dir = run_from_build() ? PERMIT_BUILD_LOCALEDIR : PERMIT_LOCALEDIR;
#else
        dir = PERMIT_LOCALEDIR;
#endif
    }
    bindtextdomain(domain, dir);
    bind_textdomain_codeset(domain, "UTF-8");
    textdomain(domain);
}

pm_lang_t
i18n_lang(void)
{
    /* The msgid "" is the catalog's header: "" when no catalog is in use. */
    const char *header = gettext("");

    return strstr(header, "Language: zh") != NULL ? PM_LANG_ZH : PM_LANG_EN;
}
