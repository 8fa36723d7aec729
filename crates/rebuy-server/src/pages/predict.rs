//! Predict: score one customer typed into a form (`POST /api/predict`), or a CSV of
//! customers (`POST /api/score.csv`) with a preview and a download of the result.

use crate::api::{MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS};
use crate::auth::sessions::SignedIn;
use crate::batch::SCORE_COLUMNS;
use crate::html::{Page, escape, note, page, whole};
use crate::labels::model_label;
use crate::run::RunData;
use axum::Extension;
use axum::extract::State;
use axum::response::Html;
use rebuy_models::scoring::RFM_FIELDS;
use std::sync::Arc;

/// Labels and hints of the required fields, in [`RFM_FIELDS`] order.
const REQUIRED: [(&str, &str, &str); 3] = [
    ("Recency (days)", "12", "days since the last purchase"),
    (
        "Frequency (orders)",
        "5",
        "distinct orders so far, at least 1",
    ),
    (
        "Monetary (net spend)",
        "800",
        "sales minus returns so far (may be 0 or less)",
    ),
];

pub async fn predict(
    State(run): State<Arc<RunData>>,
    signed_in: Option<Extension<SignedIn>>,
) -> Html<String> {
    let body = match &run.scorer {
        Err(reason) => note(&format!("Nothing to predict with: {}", escape(reason))),
        Ok(scorer) => {
            let required: String = RFM_FIELDS
                .iter()
                .zip(REQUIRED)
                .map(|(name, (label, example, hint))| field(name, label, Some(example), hint, true))
                .collect();
            let tenure = field(
                "tenure_days",
                "Tenure (days)",
                None,
                "optional: days since the first purchase, for P(alive) and CLV",
                false,
            );
            let answering = match &scorer.rfm_only {
                Some(model) => format!(
                    "<span class=\"pill\">{}</span> ({}, fitted on recency, frequency and net \
spend alone; test ROC-AUC {:.3})",
                    escape(&model_label(&model.file.name)),
                    escape(&model.file.kind.replace('_', " ")),
                    model.file.test_metrics.roc_auc
                ),
                None => "none: this run has no R/F/M-only model (run `rebuy run` again)".into(),
            };
            format!(
                "<p class=\"lead\">Score a customer typed in: the model answering recency, frequency \
and monetary is {answering}; purchase in the next {h} days, ranked against this run's {n} \
customers.</p>\
<div class=\"two\"><div class=\"panel\"><h2 style=\"margin-top:4px\">One customer</h2>\
<form id=\"predict-form\" class=\"fields\">{required}{tenure}\
<div><button type=\"submit\" id=\"predict-button\">Predict</button></div></form></div>\
<div class=\"panel\" id=\"result\" data-state=\"empty\"><h2 style=\"margin-top:4px\">Result</h2>\
<p class=\"muted\">Fill in the form and press Predict.</p></div></div>\
<div class=\"panel\"><h2 style=\"margin-top:4px\">A file of customers</h2>\
<p class=\"muted\">A CSV with a header line and the columns <code>recency_days</code>, <code>frequency</code>, \
<code>monetary</code> (scored by the R/F/M-only model), or every feature column of this run's customers.csv \
(scored by the chosen model <span class=\"pill\">{model}</span>); other columns such as <code>customer_id</code> \
are kept, as <code>rebuy score</code> reads it; up to {max_mb} MB and {max_rows} customers. The result \
adds {added} (the inputs beyond the span of the model's training customers, \
<code>;</code>-separated).</p>\
<form id=\"batch-form\" class=\"inline\"><input type=\"file\" id=\"batch-file\" accept=\".csv,text/csv\">\
<button type=\"submit\" id=\"batch-button\">Score the file</button></form>\
<div id=\"batch-result\" data-state=\"empty\"></div></div>\
<script>{SCRIPT}</script>",
                model = escape(&model_label(&scorer.full.file.name)),
                h = scorer.horizon_days(),
                n = whole(scorer.rfm.customers() as f64),
                added = added_columns(),
                max_mb = MAX_UPLOAD_BYTES / (1024 * 1024),
                max_rows = whole(MAX_UPLOAD_ROWS as f64),
            )
        }
    };
    Html(page(
        &run,
        signed_in.as_deref(),
        Page::Predict,
        &format!("<h1>Predict</h1>{body}"),
        false,
    ))
}

fn field(name: &str, label: &str, example: Option<&str>, hint: &str, required: bool) -> String {
    let (name, label, hint) = (escape(name), escape(label), escape(hint));
    format!(
        "<label for=\"f-{name}\">{label}<span class=\"muted\">{hint}</span></label>\
<input id=\"f-{name}\" name=\"{name}\" type=\"number\" step=\"any\"{min}{value}{required}>",
        min = match name.as_str() {
            "frequency" => " min=\"1\"",
            "recency_days" | "tenure_days" => " min=\"0\"",
            _ => "",
        },
        value = example.map_or_else(String::new, |v| format!(" value=\"{v}\"")),
        required = if required { " required" } else { "" },
    )
}

/// The page's behaviour: both forms post to the API and show its answer (or its error,
/// which names the field and row).
const SCRIPT: &str = r#"
function rebuyText(tag, text, cls){var e=document.createElement(tag);e.textContent=text;if(cls){e.className=cls;}return e;}
function rebuyChance(p){return p>=0.9995?'over 99.9%':p<0.0005?'under 0.1%':(100*p).toFixed(1)+'%';}
function rebuyFault(body){return body.error+(body.field?' (field '+body.field+(body.row?', line '+body.row:'')+')':'');}
document.getElementById('predict-form').addEventListener('submit',function(ev){
  ev.preventDefault();
  var customer={};
  Array.prototype.forEach.call(this.querySelectorAll('input'),function(i){if(i.value!==''){customer[i.name]=Number(i.value);}});
  var out=document.getElementById('result');
  fetch('/api/predict',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(customer)})
  .then(function(r){return r.json().then(function(b){return [r.ok,b];});})
  .then(function(answer){
    var ok=answer[0],p=answer[1];
    out.innerHTML='';out.appendChild(rebuyText('h2','Result'));out.firstChild.style.marginTop='4px';
    if(!ok){out.appendChild(rebuyText('div',rebuyFault(p),'note error'));out.setAttribute('data-state','error');return;}
    var cards=document.createElement('div');cards.className='cards';
    [['Purchase probability',rebuyChance(p.purchase_probability),'in the next '+p.horizon_days+' days','out-probability'],
     ['Churn risk',p.churn_risk,'as likely as or likelier than '+p.probability_percentile.toFixed(1)+'% of customers','out-risk'],
     ['RFM segment',p.rfm_segment,'R'+p.r_score+' F'+p.f_score+' M'+p.m_score,'out-segment'],
     ['Cluster',p.cluster?p.cluster.name:'none','behavioural group','out-cluster']]
    .concat(p.lifetime?[['P(alive)',(100*p.lifetime.p_alive).toFixed(0)+'%',p.lifetime.expected_purchases.toFixed(2)+' purchases expected in '+p.lifetime.horizon_days+' days','out-alive'],
      ['CLV',p.lifetime.clv===null?'n/a':rebuyMoney(p.lifetime.clv,2),p.lifetime.clv_note?p.lifetime.clv_note:'next '+p.lifetime.clv_months+' months, discounted','out-clv']]:[])
    .forEach(function(c){
      var card=document.createElement('div');card.className='card';
      card.appendChild(rebuyText('div',c[0],'label'));
      var v=rebuyText('div',c[1],'value');v.id=c[3];card.appendChild(v);
      card.appendChild(rebuyText('div',c[2],'sub'));cards.appendChild(card);});
    out.appendChild(cards);
    out.appendChild(rebuyText('p',p.explanation));
    var by=p.answered_by;
    var model=rebuyText('p','Answered by '+by.model+' ('+by.kind.replace(/_/g,' ')+' on '+by.inputs.join(', ')+'; test ROC-AUC '+by.test_roc_auc.toFixed(3)+', trained at '+by.trained_as_of+').','muted');
    model.id='out-model';out.appendChild(model);
    if(p.outside_training_range.length){var far=rebuyText('p','Beyond the customers this model was fitted on: '+p.outside_training_range.map(function(o){return o.feature+' '+o.value+' (fitted on '+o.trained_min+' to '+o.trained_max+')';}).join(', ')+'. The probability is an extrapolation: read it with care.','note');far.id='out-outside';out.appendChild(far);}
    if(p.not_used_by_model.length){out.appendChild(rebuyText('p','Used for P(alive) and CLV only: '+p.not_used_by_model.join(', '),'muted'));}
    out.appendChild(rebuyText('p','Suggested action: '+p.action,'muted'));
    if(p.lifetime_note){out.appendChild(rebuyText('p',p.lifetime_note,'muted'));}
    out.setAttribute('data-state','done');
  });
});
function rebuyCsvRows(text,limit){
  var rows=[],row=[],cell='',quoted=false;
  for(var i=0;i<text.length&&rows.length<limit;i++){
    var ch=text[i];
    if(quoted){if(ch==='"'){if(text[i+1]==='"'){cell+='"';i++;}else{quoted=false;}}else{cell+=ch;}}
    else if(ch==='"'){quoted=true;}
    else if(ch===','){row.push(cell);cell='';}
    else if(ch==='\n'){row.push(cell.replace(/\r$/,''));rows.push(row);row=[];cell='';}
    else{cell+=ch;}
  }
  if((cell!==''||row.length)&&rows.length<limit){row.push(cell);rows.push(row);}
  return rows;
}
document.getElementById('batch-form').addEventListener('submit',function(ev){
  ev.preventDefault();
  var file=document.getElementById('batch-file').files[0];
  var out=document.getElementById('batch-result');
  out.innerHTML='';
  if(!file){out.appendChild(rebuyText('div','Choose a CSV file first.','note'));return;}
  fetch('/api/score.csv',{method:'POST',headers:{'content-type':'text/csv'},body:file})
  .then(function(r){return r.ok?r.text().then(function(t){return [true,t];}):r.json().then(function(b){return [false,b];});})
  .then(function(answer){
    if(!answer[0]){out.appendChild(rebuyText('div',rebuyFault(answer[1]),'note error'));out.setAttribute('data-state','error');return;}
    var text=answer[1];
    var link=rebuyText('a','Download the scored file','button');link.id='batch-download';
    link.href=URL.createObjectURL(new Blob([text],{type:'text/csv'}));
    link.download=file.name.replace(/\.csv$/i,'')+'-scored.csv';
    var rows=rebuyCsvRows(text,11);
    var lines=text.split('\n').filter(function(l){return l!=='';}).length-1;
    out.appendChild(rebuyText('p','Scored '+lines+' customers; the first '+Math.min(10,lines)+':'));
    var wrap=document.createElement('div');wrap.style.overflowX='auto';
    var table=document.createElement('table');table.id='batch-preview';
    rows.forEach(function(r,i){var tr=document.createElement('tr');
      r.forEach(function(c){tr.appendChild(rebuyText(i===0?'th':'td',c));});table.appendChild(tr);});
    wrap.appendChild(table);out.appendChild(wrap);
    var p=document.createElement('p');p.appendChild(link);out.appendChild(p);
    out.setAttribute('data-state','done');
  });
});
"#;

/// The columns a scored file gains, from the scoring's own list, so the page's words
/// cannot drift from what the file holds: `a`, `b` and `c`.
fn added_columns() -> String {
    let code: Vec<String> = SCORE_COLUMNS
        .iter()
        .map(|c| format!("<code>{c}</code>"))
        .collect();
    match code.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_column_a_scored_file_gains() {
        let added = added_columns();
        for column in SCORE_COLUMNS {
            assert!(added.contains(&format!("<code>{column}</code>")), "{added}");
        }
        assert!(
            added.ends_with(" and <code>outside_training_range</code>"),
            "{added}"
        );
    }
}
