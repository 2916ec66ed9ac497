/*
 * fixture: the sample template of DOMAIN.md built in code, shared by the unit tests of the
 * template graph and the engine (the CSV path is covered by the integration tests).
 */
#ifndef PERMIT_TEST_FIXTURE_H
#define PERMIT_TEST_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static inline void
fixture_proc(pm_template_t *t, const char *code, const char *name, const char *dept, uint32_t limit,
             const char *group)
{
    pm_proctype_t *p = pm_template_add_proc(t);
    p->code = xstrdup(code);
    p->name = xstrdup(name);
    p->dept = xstrdup(dept);
    p->limit_days = limit;
    p->group = xstrdup(group);
}

/* A milestone over the given members (NULL-terminated; none means every procedure). */
static inline void
fixture_milestone(pm_template_t *t, const char *code, const char *name, ...)
{
    pm_milestone_t *m = pm_template_add_milestone(t);
    va_list ap;
    const char *member;

    m->code = xstrdup(code);
    m->name = xstrdup(name);
    va_start(ap, name);
    while ((member = va_arg(ap, const char *)) != NULL)
        strv_push(&m->members, member);
    va_end(ap);
}

/* The ten pre-construction procedures with their prerequisites and two milestones. */
static inline pm_template_t *
fixture_template(void)
{
    pm_template_t *t = pm_template_new();

    t->name = xstrdup("standard");
    fixture_proc(t, "LAND_PREREVIEW", "用地预审与选址意见书", "NRB", 5, NULL);
    fixture_proc(t, "PROJECT_APPROVAL", "项目审批/核准/备案", "DRC", 3, NULL);
    fixture_proc(t, "ENERGY_REVIEW", "节能审查", "DRC", 3, NULL);
    fixture_proc(t, "EIA", "环境影响评价批复", "EEB", 10, NULL);
    fixture_proc(t, "SOIL_WATER", "水土保持方案审批", "WRB", 10, NULL);
    fixture_proc(t, "RELICS", "文物考古调查", "CTB", 10, NULL);
    fixture_proc(t, "FOREST_USE", "使用林地草原审核", "FGB", 10, NULL);
    fixture_proc(t, "LAND_PLAN_PERMIT", "建设用地规划许可证", "NRB", 2, NULL);
    fixture_proc(t, "ENG_PLAN_PERMIT", "建设工程规划许可证", "NRB", 2, NULL);
    fixture_proc(t, "CONSTRUCTION_PERMIT", "建筑工程施工许可证", "HCB", 1, NULL);
    pm_template_add_edge(t, "LAND_PREREVIEW", "PROJECT_APPROVAL", true);
    pm_template_add_edge(t, "PROJECT_APPROVAL", "ENERGY_REVIEW", true);
    pm_template_add_edge(t, "LAND_PREREVIEW", "FOREST_USE", false);
    pm_template_add_edge(t, "PROJECT_APPROVAL", "LAND_PLAN_PERMIT", false);
    pm_template_add_edge(t, "RELICS", "LAND_PLAN_PERMIT", false);
    pm_template_add_edge(t, "FOREST_USE", "LAND_PLAN_PERMIT", false);
    pm_template_add_edge(t, "LAND_PLAN_PERMIT", "ENG_PLAN_PERMIT", false);
    pm_template_add_edge(t, "ENG_PLAN_PERMIT", "CONSTRUCTION_PERMIT", false);
    pm_template_add_edge(t, "EIA", "CONSTRUCTION_PERMIT", false);
    pm_template_add_edge(t, "SOIL_WATER", "CONSTRUCTION_PERMIT", false);
    pm_template_add_edge(t, "ENERGY_REVIEW", "CONSTRUCTION_PERMIT", false);
    fixture_milestone(t, "CERTS_TOGETHER", "五证联发", "LAND_PLAN_PERMIT", "ENG_PLAN_PERMIT",
                      "CONSTRUCTION_PERMIT", NULL);
    fixture_milestone(t, "READY_TO_START", "具备开工条件", NULL);
    return t;
}

/* A fresh folder for a database: dir gets "/tmp/permit-NAME-XXXXXX" made unique; 0 or -1. */
static inline int
fixture_tmpdir(char *dir, size_t len, const char *name)
{
    snprintf(dir, len, "/tmp/permit-%s-XXXXXX", name);
    return mkdtemp(dir) != NULL ? 0 : -1;
}

/* Remove the folder and everything in it (the database and its WAL files); 0 or -1. */
static inline int
fixture_rmtree(const char *dir)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    int rc = system(cmd);

    free(cmd);
    return rc == 0 ? 0 : -1;
}

#endif
