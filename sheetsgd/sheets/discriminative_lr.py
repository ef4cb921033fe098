"""graddesc.xlsx's discriminative_lr sheet: what fit(lr=slice(start, stop)) gives each layer group.
The NumPy twin is models.optim_more.discriminative."""
from ..models import optim_more as om
from ..writer import a1


def discriminative_sheet(wb):
    h = om.hyper("discriminative_lr")
    out = om.discriminative()
    s = wb.sheet("discriminative_lr")
    s.title("A1", "discriminative_lr: one learning rate per layer group")
    s.note("A2", "fit(lr=slice(start, stop)): the groups' lrs are spaced evenly on a log scale, "
                 "start*(stop/start)^((i-1)/(n-1)): "
                 "early layers (general features, pretrained) move slowly, the head fast.")
    s.note("A3", "slice(stop): the last group gets stop, the others stop/3 (fastai v1 at the time of the lesson; "
                 "later versions /10). A plain number: every group the same lr.")
    labels = {"n_groups": "layer groups", "start": "slice start", "stop": "slice stop", "lr": "plain lr",
              "other_div": "slice(stop): others stop /"}
    names = {"n_groups": "n_groups", "start": "lr_start", "stop": "lr_stop", "lr": "lr", "other_div": "other_div"}
    for i, (k, label) in enumerate(labels.items()):
        r = 3 + i
        s.text((r, 1), label, "label")
        s.input((r, 2), h[k])
        s.define_name(names[k], f"discriminative_lr!{a1(r, 2, True, True)}")
    top = 10
    heads = ["group", "slice(start, stop)", "slice(stop)", "lr (a number)"]
    for j, head in enumerate(heads):
        s.header((top, j), head)
    f_range = "=IF({i}>n_groups,\"-\",IF(n_groups=1,lr_stop,lr_start*(lr_stop/lr_start)^(({i}-1)/(n_groups-1))))"
    f_stop = "=IF({i}>n_groups,\"-\",IF({i}=n_groups,lr_stop,lr_stop/other_div))"
    f_single = "=IF({i}>n_groups,\"-\",lr)"
    for i in range(om.MAX_GROUPS):
        r = top + 1 + i
        s.number((r, 0), i + 1, style="rowhead")
        refs = {"i": a1(r, 0)}
        for j, (f, k) in enumerate(((f_range, "slice_range"), (f_stop, "slice_stop"), (f_single, "single"))):
            s.formula((r, 1 + j), f.format_map(refs), out[k][i], num_format="0.00E+00", style="result")
    s.note((top + om.MAX_GROUPS + 2, 0),
           "One group: fastai's even_mults divides by n-1 = 0 and fails; here the group gets stop.")
    s.widths(0, 0, 8)
    s.widths(1, 1, 26)
    s.widths(2, 3, 16)
    s.freeze((top + 1, 0))
    return s
