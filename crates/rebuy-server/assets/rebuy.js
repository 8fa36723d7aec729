// The page script of every page (served as /assets/rebuy.js, inlined in report.html):
// the money formatter, the chart helper, and what the pages leave to it because the
// Content-Security-Policy allows no inline script or style attribute: drawing each
// chart from its <script type="application/json" data-chart-option="ID"> element,
// colouring the segment pills, and the filters that apply on change.

var rebuyMoneyStyleRead=null;
// The run's currency (prefix, suffix), from the page's rebuy-money-style element.
function rebuyMoneyStyle(){
  if(rebuyMoneyStyleRead===null){
    var data=document.getElementById('rebuy-money-style');
    rebuyMoneyStyleRead=data?JSON.parse(data.textContent):{prefix:'',suffix:''};
  }
  return rebuyMoneyStyleRead;
}
// The twin of Money::format (crates/rebuy-server/src/money.rs).
function rebuyMoney(value, decimals){
  if(value===null||value===undefined||isNaN(value)){return '';}
  var style=rebuyMoneyStyle();
  var places=(decimals===undefined)?2:decimals;
  var number=Math.abs(Number(value)).toLocaleString('en-US',{minimumFractionDigits:places,maximumFractionDigits:places});
  var sign=(Number(value)<0&&/[1-9]/.test(number))?'-':'';
  return sign+style.prefix+number+style.suffix;
}
// An option with a rebuyPercent key ("y" or "x") gets shares (0 to 1) written as
// percentages in its tooltip and on that axis.
function rebuyPercentages(option){
  var axisName=option.rebuyPercent;
  delete option.rebuyPercent;
  if(!axisName){return;}
  var percent=function(v){return (v===null||v===undefined)?'-':(100*v).toFixed(1)+'%';};
  option.tooltip=option.tooltip||{};
  option.tooltip.valueFormatter=percent;
  var axis=option[axisName+'Axis'];
  if(axis){axis.axisLabel=axis.axisLabel||{};axis.axisLabel.formatter=function(v){return Math.round(100*v)+'%';};}
}
// An option with a rebuyMoney key ({"axis": "y"} or "x") gets its tooltip values and
// that axis's labels written as money. Tooltips are drawn on the canvas (richText):
// ECharts' HTML tooltips carry style attributes, which the policy refuses.
function rebuyChart(id, option){
  var el=document.getElementById(id);
  var money=option.rebuyMoney;
  delete option.rebuyMoney;
  if(money){
    option.tooltip=option.tooltip||{};
    option.tooltip.valueFormatter=function(v){return rebuyMoney(v,2);};
    var axis=option[money.axis+'Axis'];
    if(axis){axis.axisLabel=axis.axisLabel||{};axis.axisLabel.formatter=function(v){return rebuyMoney(v,0);};}
  }
  rebuyPercentages(option);
  if(option.tooltip){option.tooltip.renderMode='richText';}
  if(el.hasAttribute('data-height')){el.style.height=el.getAttribute('data-height')+'px';}
  var chart=echarts.init(el);
  chart.setOption(option);
  el.setAttribute('data-rendered','true');
  window.addEventListener('resize',function(){chart.resize();});
  return chart;
}
function rebuyHasWebGL(){
  try{var c=document.createElement('canvas');return !!(c.getContext('webgl')||c.getContext('experimental-webgl'));}
  catch(e){return false;}
}
// Each chart from its data; a 3D chart that this browser cannot draw (no WebGL) from
// its data-chart-flat element instead, with its ID-note shown.
function rebuyDrawCharts(){
  Array.prototype.forEach.call(document.querySelectorAll('script[data-chart-option]'),function(data){
    var id=data.getAttribute('data-chart-option');
    try{
      var option=JSON.parse(data.textContent);
      var flat=document.querySelector('script[data-chart-flat="'+id+'"]');
      if(flat&&!rebuyHasWebGL()){
        option=JSON.parse(flat.textContent);
        var note=document.getElementById(id+'-note');
        if(note){note.hidden=false;}
      }
      rebuyChart(id,option);
    }catch(e){console.error('chart '+id+': '+e);}
  });
}
document.addEventListener('DOMContentLoaded',function(){
  rebuyDrawCharts();
  Array.prototype.forEach.call(document.querySelectorAll('[data-color]'),function(e){
    e.style.background=e.getAttribute('data-color');e.style.color='#fff';
  });
  Array.prototype.forEach.call(document.querySelectorAll('select[data-submit-on-change]'),function(s){
    s.addEventListener('change',function(){s.form.submit();});
  });
});
