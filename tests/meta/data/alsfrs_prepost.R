# metafor reference for the ALSFRS-R pre-post synthesis (alsreview.meta.alsfrs) on the four
# cohorts the bundled evidence base yields: monthly decline before/after treatment as printed
# (Oh 2015; Petrou 2016 phase 1/2 and phase 2a; Petrou 2021), SDs of Petrou 2016 imputed as
# the pooled SD of the cohorts that print one.  Effect = after - before; SMCR standardised by
# the before SD.  Subgroups by cell type; meta-regression on the number of administrations
# (a range of sessions at its midpoint).
#
# Run from the repository root:  Rscript tests/meta/data/alsfrs_prepost.R
suppressMessages({
  library(metafor)
  library(jsonlite)
})
num <- function(x) unname(as.numeric(x))

d <- data.frame(
  label = c("Oh KW 2015", "Petrou P 2016 (phase 1/2)", "Petrou P 2016 (phase 2a)", "Petrou P 2021"),
  n = c(8, 12, 14, 20),
  m_pre = c(1.38, 1.56, 1.4, 1.054), sd_pre = c(0.45, NA, NA, 0.86),
  m_post = c(0.02, 0.28, 0.6, 0.445), sd_post = c(0.18, NA, NA, 0.81),
  cell = c("BM-MSC", "MSC-NTF", "MSC-NTF", "BM-MSC"),
  adm = c(2, 1, 1, 2.5)
)
pooled <- function(n, s) { ok <- !is.na(s); sqrt(sum((n[ok] - 1) * s[ok]^2) / sum(n[ok] - 1)) }
d$sd_pre[is.na(d$sd_pre)] <- pooled(d$n, d$sd_pre)
d$sd_post[is.na(d$sd_post)] <- pooled(d$n, d$sd_post)

fitlist <- function(f) list(estimate = num(f$beta[1]), se = num(f$se[1]), ci_lb = num(f$ci.lb[1]),
                            ci_ub = num(f$ci.ub[1]), pval = num(f$pval[1]), tau2 = num(f$tau2),
                            I2 = num(f$I2))
out <- list(source = paste("metafor", packageVersion("metafor")),
            inputs = d[, c("label", "n", "m_pre", "sd_pre", "m_post", "sd_post", "cell", "adm")])
for (measure in c("MC", "SMCR")) {
  for (r in c(0.2, 0.5, 0.8)) {
    es <- escalc(measure, m1i = m_post, m2i = m_pre, sd1i = sd_pre, sd2i = sd_post, ni = n,
                 ri = rep(r, nrow(d)), data = d)
    out[[sprintf("%s_r%g", measure, r)]] <- c(list(yi = num(es$yi), vi = num(es$vi)),
                                              fitlist(rma(yi, vi, data = es)))
  }
}
es <- escalc("MC", m1i = m_post, m2i = m_pre, sd1i = sd_pre, sd2i = sd_post, ni = n,
             ri = rep(0.5, nrow(d)), data = d)
out$primary_knha <- fitlist(rma(yi, vi, data = es, test = "knha"))
groups <- lapply(split(es, es$cell), function(g) rma(yi, vi, data = g))
out$subgroups_cell <- lapply(groups, fitlist)
b <- sapply(groups, function(f) f$beta[1]); s <- sapply(groups, function(f) f$se[1])
qb <- rma(b, sei = s, mods = ~ factor(names(groups)), method = "FE")
out$subgroups_cell_test <- list(Q_between = num(qb$QM), pval = num(qb$QMp))
mr <- rma(yi, vi, mods = ~ adm, data = es)
out$metareg_adm <- list(coef = num(mr$beta), se = num(mr$se), pval = num(mr$pval), QM = num(mr$QM),
                        QMp = num(mr$QMp), tau2 = num(mr$tau2), R2 = num(mr$R2))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           "tests/meta/data/alsfrs_prepost.json")
