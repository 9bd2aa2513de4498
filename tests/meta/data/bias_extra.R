# Reference values for the bias / influence / Mantel-Haenszel tests beyond the shared
# reference files: other estimators and options (regtest model="lm" and predictor="vi",
# trim-and-fill R0/Q0 and a forced side, Orwin and Rosenberg fail-safe N, Knapp-Hartung
# leave-one-out, influence of a meta-regression, CMH/Breslow-Day/Tarone p-values), on
# metadat data sets not used in ../shared/reference/metafor.
#
# Run from the repository root:  Rscript tests/meta/data/bias_extra.R
# Writes tests/meta/data/bias_extra.json (needs r-cran-metafor, r-cran-metadat, jsonlite).
suppressMessages({
  library(metafor)
  library(jsonlite)
})

num <- function(x) unname(as.numeric(x))
fitlist <- function(f) list(estimate = num(f$beta[1]), se = num(f$se[1]), tau2 = num(f$tau2))
infl <- function(f) {
  i <- influence(f)
  list(rstudent = num(i$inf$rstudent), dffits = num(i$inf$dffits), cook_d = num(i$inf$cook.d),
       cov_r = num(i$inf$cov.r), tau2_del = num(i$inf$tau2.del), QE_del = num(i$inf$QE.del),
       hat = num(i$inf$hat), weight = num(i$inf$weight),
       dfbs = lapply(seq_len(nrow(as.data.frame(i$dfbs))), function(r) num(as.data.frame(i$dfbs)[r, ])),
       inf = i$is.infl)
}
tf <- function(t) c(list(k0 = t$k0, se_k0 = num(t$se.k0), side = t$side,
                         p_k0 = if (is.na(t$p.k0)) NULL else num(t$p.k0)), fitlist(t))

out <- list(source = paste("metafor", packageVersion("metafor"), "on metadat"))

# Passive smoking and lung cancer (log odds ratios given as yi/vi), 37 studies
h <- dat.hackshaw1998
reml <- rma(yi, vi, data = h)
dl <- rma(yi, vi, data = h, method = "DL")
rl <- regtest(reml, model = "lm")
rv <- regtest(reml, predictor = "vi")
rk <- ranktest(reml)
fo <- fsn(yi, vi, data = h, type = "Orwin")
fr <- fsn(yi, vi, data = h, type = "Rosenberg")
l1 <- leave1out(rma(yi, vi, data = h, method = "DL", test = "knha"))
out$hackshaw1998 <- list(
  yi = num(h$yi), vi = num(h$vi),
  regtest_lm = list(zval = num(rl$zval), pval = num(rl$pval), limit_estimate = num(rl$est),
                    ci_lb = num(rl$ci.lb), ci_ub = num(rl$ci.ub), ddf = rl$ddf),
  regtest_vi = list(zval = num(rv$zval), pval = num(rv$pval), limit_estimate = num(rv$est)),
  ranktest = list(tau = num(rk$tau), pval = num(rk$pval)),
  trimfill_R0 = tf(trimfill(dl, estimator = "R0")),
  trimfill_Q0 = tf(trimfill(dl, estimator = "Q0")),
  trimfill_REML_right = tf(trimfill(reml, side = "right")),
  fsn_orwin = list(fsnum = fo$fsnum, meanes = num(fo$meanes), target = num(fo$target)),
  fsn_rosenberg = list(fsnum = fr$fsnum, pval = num(fr$pval), meanes = num(fr$meanes)),
  leave1out_DL_knha = list(estimate = num(l1$estimate), se = num(l1$se), pval = num(l1$pval),
                           ci_lb = num(l1$ci.lb), ci_ub = num(l1$ci.ub), tau2 = num(l1$tau2),
                           Q = num(l1$Q)),
  influence_DL = infl(dl)
)

# BCG vaccine: meta-regression on absolute latitude with the Knapp-Hartung test
b <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
mr <- rma(yi, vi, mods = ~ablat, data = b, test = "knha")
rg <- regtest(mr)
out$bcg_ablat_knha <- list(
  yi = num(b$yi), vi = num(b$vi), ablat = num(b$ablat),
  regtest = list(zval = num(rg$zval), pval = num(rg$pval), ddf = rg$ddf),
  influence = infl(mr)
)

# Beta blockers after myocardial infarction (Yusuf et al. 1985, table 6): 2x2 tables
y <- dat.yusuf1985[dat.yusuf1985$table == "6", ]
mh <- function(measure) {
  m <- rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = y, measure = measure)
  list(estimate = num(m$beta), se = num(m$se), zval = num(m$zval), pval = num(m$pval),
       ci_lb = num(m$ci.lb), ci_ub = num(m$ci.ub), QE = num(m$QE), QEp = num(m$QEp),
       I2 = num(m$I2), H2 = num(m$H2),
       MH = if (measure == "OR") num(m$MH) else NULL, MHp = if (measure == "OR") num(m$MHp) else NULL,
       CO = if (measure == "OR") num(m$CO) else NULL, COp = if (measure == "OR") num(m$COp) else NULL,
       BD = if (measure == "OR") num(m$BD) else NULL, BDp = if (measure == "OR") num(m$BDp) else NULL,
       TA = if (measure == "OR") num(m$TA) else NULL, TAp = if (measure == "OR") num(m$TAp) else NULL)
}
pt <- rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = y)
out$yusuf1985_table6 <- list(
  ai = y$ai, n1i = y$n1i, ci = y$ci, n2i = y$n2i,
  mh_OR = mh("OR"), mh_RR = mh("RR"), mh_RD = mh("RD"),
  peto = list(estimate = num(pt$beta), se = num(pt$se), zval = num(pt$zval), pval = num(pt$pval),
              QE = num(pt$QE), QEp = num(pt$QEp), I2 = num(pt$I2), H2 = num(pt$H2))
)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE),
           "tests/meta/data/bias_extra.json")
