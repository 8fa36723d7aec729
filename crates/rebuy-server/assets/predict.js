// The Predict page (served as /assets/predict.js): both forms post to the API and show
// its answer (or its error, which names the field and row).
function rebuyText(tag, text, cls){var e=document.createElement(tag);e.textContent=text;if(cls){e.className=cls;}return e;}
function rebuyChance(p){return p>=0.9995?'over 99.9%':p<0.0005?'under 0.1%':(100*p).toFixed(1)+'%';}
// The run the page shows (`?run=NAME` when serving a runs folder) answers the forms too.
function rebuyApi(path){var run=new URLSearchParams(location.search).get('run');return run?path+'?run='+encodeURIComponent(run):path;}
function rebuyFault(body){return body.error+(body.field?' (field '+body.field+(body.row?', line '+body.row:'')+')':'');}
document.getElementById('predict-form').addEventListener('submit',function(ev){
  ev.preventDefault();
  var customer={};
  Array.prototype.forEach.call(this.querySelectorAll('input'),function(i){if(i.value!==''){customer[i.name]=Number(i.value);}});
  var out=document.getElementById('result');
  fetch(rebuyApi('/api/predict'),{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(customer)})
  .then(function(r){return r.json().then(function(b){return [r.ok,b];});})
  .then(function(answer){
    var ok=answer[0],p=answer[1];
    out.innerHTML='';out.appendChild(rebuyText('h2','Result','top'));
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
    if(p.lifetime&&p.lifetime.fit_warnings&&p.lifetime.fit_warnings.length){var fw=rebuyText('p','P(alive), expected purchases and CLV, read with care: '+p.lifetime.fit_warnings.join(' '),'note');fw.id='out-fit-warnings';out.appendChild(fw);}
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
// A long decimal of the scored file, shortened for the preview (the download keeps every
// digit; the cell's tooltip shows them): two places from 1 up, three significant below.
function rebuyPreviewNumber(text){
  var n=Number(text);
  if(text===''||!isFinite(n)||!/\.\d{4,}/.test(text)){return text;}
  return Math.abs(n)>=1?n.toFixed(2):String(Number(n.toPrecision(3)));
}
document.getElementById('batch-form').addEventListener('submit',function(ev){
  ev.preventDefault();
  var file=document.getElementById('batch-file').files[0];
  var out=document.getElementById('batch-result');
  out.innerHTML='';
  if(!file){out.appendChild(rebuyText('div','Choose a CSV file first.','note'));return;}
  fetch(rebuyApi('/api/score.csv'),{method:'POST',headers:{'content-type':'text/csv'},body:file})
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
      r.forEach(function(c){var cell=rebuyText(i===0?'th':'td',i===0?c:rebuyPreviewNumber(c));if(cell.textContent!==c){cell.title=c;}tr.appendChild(cell);});table.appendChild(tr);});
    wrap.appendChild(table);out.appendChild(wrap);
    var p=document.createElement('p');p.appendChild(link);out.appendChild(p);
    out.setAttribute('data-state','done');
  });
});
