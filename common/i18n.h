/*
 * i18n: the language a person reads. gettext (libintl in glibc) with one catalog, po/zh_CN.po,
 * compiled by msgfmt at build time into one .mo per program (the domain is the program's name,
 * so each Debian package ships its own file from the same catalog).
 *
 * What is translated: every line a person reads (help texts, table headings, errors, the
 * operator's log lines), marked _("...") where it is written, or N_("...") in a table that
 * is translated where it is printed, so the tables stay English msgids. What is not: --json,
 * codes, CSV keys, exit statuses, topic names, the log's level words.
 *
 * The language follows LC_ALL / LC_MESSAGES / LANG (and LANGUAGE, as gettext reads it): a
 * zh_CN locale gets Chinese, anything else English. Only LC_MESSAGES is taken from the
 * environment: numbers, dates, character classes and collation stay "C", so parsing and every
 * output other than the words are the same whatever the locale. Translations come out UTF-8
 * whatever the locale's charset, as every other text of ours.
 *
 * Where the catalogs are: $PERMIT_LOCALEDIR when set; the build folder's locale/ for a program
 * run from the build folder it was built in; the installed ${datadir}/locale otherwise.
 */
#ifndef PERMIT_I18N_H
#define PERMIT_I18N_H

#include <libintl.h>

#include "model.h"

#define _(s) gettext(s)
/* A msgid in a table, translated where it is printed with _(). */
#define N_(s) (s)

/* At the start of main(): the locale's LC_MESSAGES and the catalog of `domain` ("permitctl"). */
void i18n_init(const char *domain);

/*
 * The language the catalog speaks now, for the words of model.h's tables (pm_state_label...):
 * PM_LANG_ZH when a Chinese catalog is in use, so the labels and the messages agree.
 */
pm_lang_t i18n_lang(void);

#endif
