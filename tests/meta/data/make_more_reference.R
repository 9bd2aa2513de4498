# More metafor reference files in the shape of ../shared/reference/metafor/*.json (raw, yi, vi,
# fits for every estimator with z and knha, predict_REML, confint_REML/DL, metareg_REML) for
# measures and data the shared files do not cover: PR, PLN, PAS, COR, RD, SMD, OR with zero
# cells, GEN with a moderator, and a homogeneous simulated set (tau2 = 0 boundary).
# Run from the repository root:  Rscript tests/meta/data/make_more_reference.R
# (metafor 3.8-1, metadat; writes tests/meta/data/metafor_more/*.json)
suppressMessages({library(metafor); library(jsonlite)})
mk <- function(name, measure, raw, mod = NULL, ...) {
  argn <- intersect(names(raw), c("ai","bi","ci","di","n1i","n2i","xi","ni","ri","m1i","m2i","sd1i","sd2i","yi","vi"))
  dat <- do.call(escalc, c(list(measure = measure), as.list(raw[, argn, drop = FALSE])))
  for (nm in setdiff(names(raw), argn)) dat[[nm]] <- raw[[nm]]
  ok <- !is.na(dat$yi) & !is.na(dat$vi)
  dat <- dat[ok, ]; raw <- raw[ok, , drop = FALSE]
  out <- list(dataset = name, measure = measure, raw = raw, yi = as.numeric(dat$yi), vi = as.numeric(dat$vi))
  fits <- list()
  for (m in c("EE","DL","HE","HS","HSk","SJ","ML","REML","EB","PM","PMM","GENQ")) {
    r <- try(if (m == "GENQ") rma(yi, vi, data = dat, method = m, weights = 1/vi) else rma(yi, vi, data = dat, method = m), silent = TRUE)
    if (inherits(r, "try-error")) { cat(name, m, "failed\n"); next }
    fits[[m]] <- list(estimate = c(r$b), se = r$se, zval = r$zval, pval = r$pval, ci_lb = r$ci.lb, ci_ub = r$ci.ub,
      tau2 = r$tau2, se_tau2 = if (m == "EE") NA else r$se.tau2, I2 = r$I2, H2 = r$H2, QE = r$QE, QEp = r$QEp, k = r$k, test = "z")
  }
  for (m in c("REML", "DL")) {
    r <- try(rma(yi, vi, data = dat, method = m, test = "knha"), silent = TRUE)
    if (inherits(r, "try-error")) next
    fits[[paste0(m, "_knha")]] <- list(estimate = c(r$b), se = r$se, zval = r$zval, pval = r$pval, ci_lb = r$ci.lb, ci_ub = r$ci.ub,
      tau2 = r$tau2, se_tau2 = r$se.tau2, I2 = r$I2, H2 = r$H2, QE = r$QE, QEp = r$QEp, k = r$k, test = "knha")
  }
  out$fits <- fits
  r <- try(rma(yi, vi, data = dat), silent = TRUE)
  if (!inherits(r, "try-error")) {
    p <- predict(r)
    out$predict_REML <- list(pred = p$pred, se = p$se, ci_lb = p$ci.lb, ci_ub = p$ci.ub, pi_lb = p$pi.lb, pi_ub = p$pi.ub)
    ci <- confint(r)$random
    out$confint_REML <- list(tau2 = ci[1, ], tau = ci[2, ], I2 = ci[3, ], H2 = ci[4, ])
  }
  ci <- confint(rma(yi, vi, data = dat, method = "DL"))$random
  out$confint_DL <- list(tau2 = ci[1, ], I2 = ci[3, ])
  if (!is.null(mod)) {
    r <- rma(yi, vi, mods = as.formula(paste("~", mod)), data = dat)
    out$metareg_REML <- list(moderator = mod, coef = c(r$b), se = r$se, pval = r$pval, QM = r$QM, QMp = r$QMp, tau2 = r$tau2, I2 = r$I2, R2 = r$R2, QE = r$QE)
  }
  write_json(out, file.path("tests/meta/data/metafor_more", paste0(name, ".json")), digits = NA, auto_unbox = TRUE)
}
d <- dat.yusuf1985; d <- d[d$table == "6", ]
mk("yusuf1985", "OR", data.frame(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i))
d <- dat.laopaiboon2015; mk("laopaiboon2015", "RR", data.frame(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i))
d <- dat.hackshaw1998; mk("hackshaw1998", "GEN", data.frame(yi = d$yi, vi = d$vi))
d <- dat.konstantopoulos2011; mk("konst2011", "GEN", data.frame(yi = d$yi, vi = d$vi, year = d$year), mod = "year")
d <- dat.debruin2009; mk("debruin2009", "PR", data.frame(xi = d$xi, ni = d$ni))
mk("debruin2009_pln", "PLN", data.frame(xi = d$xi, ni = d$ni))
mk("debruin2009_pas", "PAS", data.frame(xi = d$xi, ni = d$ni))
d <- dat.crede2010; mk("crede2010", "COR", data.frame(ri = d$ri, ni = d$ni))
d <- dat.laopaiboon2015; mk("laopaiboon_rd", "RD", data.frame(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i))
d <- dat.normand1999; mk("normand_smd", "SMD", data.frame(m1i=d$m1i, sd1i=d$sd1i, n1i=d$n1i, m2i=d$m2i, sd2i=d$sd2i, n2i=d$n2i))
d <- dat.bcg; mk("bcg_or", "OR", data.frame(ai=d$tpos, bi=d$tneg, ci=d$cpos, di=d$cneg, year=d$year), mod = "year")
d <- dat.collins1985b; mk("collins1985b", "OR", data.frame(ai=d$pre.xti, n1i=d$pre.nti, ci=d$pre.xci, n2i=d$pre.nci))
d <- dat.hine1989; mk("hine_rr", "RR", data.frame(ai=d$ai, n1i=d$n1i, ci=d$ci, n2i=d$n2i))
set.seed(7); k <- 6; vi <- runif(k, 0.05, 0.5); yi <- rnorm(k, 0, sqrt(vi)); mk("sim_homog", "GEN", data.frame(yi=yi, vi=vi))
